#!/usr/bin/env python3
"""How fast the sidecar reacts: the figures behind the README's "typically well under a second".

The functional tests only check THAT a reload, a guard trip or an operator's change is served (with
30 s of patience, for loaded machines); this script measures how long each takes on this machine.

It starts the real jar (sidecar/target/crossfade-sidecar.jar; build it with
`./mvnw -B -DskipTests package`) on free ports in a temporary directory, then, --reps times each:

  reload    a settings file is replaced (write + rename, as editors and ConfigMaps do) until
            GET /v1/settings/KEY/value answers the new value
  trip      POST /v1/outcomes with a spike on the new variant is answered (202) until /ready shows
            the migration halted (the guard's own audit line is written before that)
  percent   POST /admin/v1/migrations/KEY/percent is answered (200) until a read of a unit between the
            old and the new percent answers the new value

Polling is every 2 ms, so figures are accurate to a few milliseconds. Standard library only:
    /usr/bin/python3 bench/reaction.py [--reps 20] [--jar PATH] [--java java]
Prints one line per measurement kind (median, p90, max in milliseconds) and, with --tsv FILE, appends
the raw samples to FILE.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLL = 0.002


def http(method, url, body=None, headers=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_until(predicate, limit=60.0):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if predicate():
            return time.monotonic()
        time.sleep(POLL)
    raise SystemExit("reaction: nothing happened within %.0f s" % limit)


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def settings_text(value, migrations):
    lines = ["settings:", "  bench.reload:", "    value: %d" % value]
    for key in migrations:
        lines += ["  %s:" % key, "    value: 1"]
    lines.append("migrations:")
    for key, (percent, guard) in migrations.items():
        lines += ["  %s:" % key, "    to: 2", "    percent: %s" % percent, "    guard: %s" % guard]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--jar", default=os.path.join(ROOT, "sidecar", "target", "crossfade-sidecar.jar"))
    ap.add_argument("--java", default="java")
    ap.add_argument("--tsv")
    args = ap.parse_args()
    if not os.path.exists(args.jar):
        raise SystemExit("reaction: %s is missing; run ./mvnw -B -DskipTests package first" % args.jar)

    work = tempfile.mkdtemp(prefix="crossfade-reaction-")
    settings, state = os.path.join(work, "settings"), os.path.join(work, "state")
    os.makedirs(settings)
    # one migration per trip repetition (a halted migration stays halted), one for percent changes
    trips = {"bench.trip%02d" % i: (10, "{ minSamples: 200, window: 60s, action: halt }") for i in range(args.reps)}
    migrations = dict(trips)
    migrations["bench.percent"] = (0, "{ minSamples: 1000000 }")
    path = os.path.join(settings, "bench.yaml")
    write_atomically(path, settings_text(0, migrations))

    log = open(os.path.join(work, "sidecar.log"), "w+")
    proc = subprocess.Popen([args.java, "-jar", args.jar, "serve", "--settings", settings, "--state", state,
                             "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"],
                            stdout=log, stderr=subprocess.STDOUT)
    samples = {"reload": [], "trip": [], "percent": []}
    try:
        addresses = None
        deadline = time.monotonic() + 180
        while addresses is None and time.monotonic() < deadline:
            log.seek(0)
            m = re.search(r"listening read=(\S+) ops=(\S+)", log.read())
            addresses = m.groups() if m else None
            time.sleep(0.05)
        if addresses is None:
            raise SystemExit("reaction: the sidecar did not start; see " + log.name)
        read, ops = "http://" + addresses[0], "http://" + addresses[1]
        # the listening line comes first; requests are held until the sidecar is ready
        http("GET", ops + "/health", timeout=60)
        token = open(os.path.join(state, "admin.token")).read().strip()
        auth = {"Authorization": "Bearer " + token}

        for i in range(1, args.reps + 1):
            write_atomically(path, settings_text(i, migrations))
            t0 = time.monotonic()
            t1 = wait_until(lambda: http("GET", read + "/v1/settings/bench.reload/value") == (200, str(i)))
            samples["reload"].append(t1 - t0)

        for key in trips:
            spike = {"outcomes": [{"key": key, "variant": "old", "ok": 990, "errors": 10},
                                  {"key": key, "variant": "new", "ok": 210, "errors": 90}]}
            status, _ = http("POST", read + "/v1/outcomes", spike)
            t0 = time.monotonic()
            assert status == 202, status
            t1 = wait_until(lambda: json.loads(http("GET", ops + "/ready")[1])["migrations"][key]["state"] == "halted")
            samples["trip"].append(t1 - t0)

        for i in range(1, args.reps + 1):
            percent = i * (100 // (args.reps + 1))
            status, _ = http("POST", ops + "/admin/v1/migrations/bench.percent/percent",
                             {"percent": percent, "reason": "reaction bench"}, auth)
            t0 = time.monotonic()
            assert status == 200, status
            # a unit whose bucket lies below the new percent: ask the sidecar's own view
            t1 = wait_until(lambda: json.loads(http("GET", read + "/v1/settings/bench.percent")[1])
                            ["migration"]["percent"] == percent)
            samples["percent"].append(t1 - t0)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)

    load = open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"
    print("reaction times in ms over %d repetitions (1-minute load %s at the end)" % (args.reps, load))
    for kind, values in samples.items():
        ms = sorted(v * 1000 for v in values)
        p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
        print("%-8s median %7.1f  p90 %7.1f  max %7.1f" % (kind, statistics.median(ms), p90, ms[-1]))
        if args.tsv:
            with open(args.tsv, "a") as f:
                for v in ms:
                    f.write("reaction\t%s\t%.1f\n" % (kind, v))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Fleet benchmarks (issue 13): propagation across 10 sidecars, and reads with the etcd store
against the local store in the same run.

It starts a real etcd (/usr/bin/etcd, Debian's etcd-server) and the real jar
(sidecar/target/crossfade-sidecar.jar; build it with `./mvnw -B -DskipTests package`) on free
loopback ports in a temporary directory.

  propagation  10 sidecars share one etcd as fleet "bench". Each keeps a GET /v1/watch stream open
               (a Server-Sent Event is sent the moment a new snapshot is published, i.e. served).
               --changes times per repetition, an operator change (POST .../percent, alternating
               between two percents) goes through sidecar 0; the figure is the time from its answer
               (200) until the change event of the LAST of the 10 sidecars arrived (0 when every
               sidecar had it before the answer). Per repetition: p50 and p99; then the median and
               min-max of those over --reps repetitions, and p50/p99 over all samples.
  reads        two sidecars with identical JVM flags and settings (one migration at 50 %, so every
               read buckets a unit): one in the etcd fleet (heartbeating, watching), one with the local
               store. The other 9 fleet sidecars are stopped first. `wrk -t2 -c32 -d SECONDS` with
               bench/reads.lua against each, alternating and rotated per repetition after a warm-up
               of each; the figure is requests/s and the ratio etcd/local within each repetition
               (target >= 0.98: the store must not touch the read path).

The 1-, 5- and 15-minute load averages are printed before and after each section. Standard library
only:
    /usr/bin/python3 bench/fleet.py [--reps 5] [--changes 40] [--seconds 10] [--tsv FILE]
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY = "db.pool.size"
SETTINGS = """settings:
  db.pool.size: { value: 10 }
migrations:
  db.pool.size: { to: 20, percent: 50 }
"""
TOKEN = "bench-fleet-token-0123456789abcdef"
# The two sidecars compared on reads: the image's flags (Dockerfile JAVA_OPTS, without the JSON log).
READ_OPTS = ["-XX:MaxRAMPercentage=50", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError"]
# The nine others of the fleet only need to follow it: keep them small on a small machine.
LIGHT_OPTS = ["-XX:+UseSerialGC", "-Xmx96m", "-XX:TieredStopAtLevel=1", "-Xss512k"]


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def percentile(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


class Etcd:
    def __init__(self, work):
        self.client = free_port()
        peer = free_port()
        self.log = open(os.path.join(work, "etcd.log"), "w")
        self.proc = subprocess.Popen(
            ["/usr/bin/etcd", "--name", "m0", "--data-dir", os.path.join(work, "etcd"),
             "--listen-client-urls", "http://127.0.0.1:%d" % self.client,
             "--advertise-client-urls", "http://127.0.0.1:%d" % self.client,
             "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
             "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
             "--initial-cluster", "m0=http://127.0.0.1:%d" % peer],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.url = "http://127.0.0.1:%d" % self.client
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if http("POST", self.url + "/v3/kv/range", {"key": "L2hlYWx0aA=="}, timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("fleet bench: etcd did not start; see " + self.log.name)

    def close(self):
        self.proc.kill()
        self.proc.wait()


class Sidecar:
    LISTENING = re.compile(r"listening read=([^\s\"]+) ops=([^\s\"]+)")

    def __init__(self, work, name, java, jar, opts, store_args):
        base = os.path.join(work, name)
        os.makedirs(os.path.join(base, "settings"))
        os.makedirs(os.path.join(base, "state"))
        with open(os.path.join(base, "settings", "s.yaml"), "w") as f:
            f.write(SETTINGS)
        token = os.path.join(work, "admin.token")
        self.name = name
        self.logfile = os.path.join(base, "out.log")
        self.log = open(self.logfile, "w")
        self.proc = subprocess.Popen(
            [java] + opts + ["-jar", jar, "serve", "--settings", os.path.join(base, "settings"),
                             "--state", os.path.join(base, "state"), "--listen", "127.0.0.1:0",
                             "--ops-listen", "127.0.0.1:0", "--instance-id", name,
                             "--admin-token-file", token] + store_args,
            stdout=self.log, stderr=subprocess.STDOUT)
        self.read = self.ops = None

    def await_listening(self, limit=180):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with open(self.logfile) as f:
                m = self.LISTENING.search(f.read())
            if m:
                self.read, self.ops = "http://" + m.group(1), "http://" + m.group(2)
                break
            if self.proc.poll() is not None:
                raise SystemExit("fleet bench: %s exited; see %s" % (self.name, self.logfile))
            time.sleep(0.2)
        else:
            raise SystemExit("fleet bench: %s never listened; see %s" % (self.name, self.logfile))
        while time.monotonic() < deadline:
            try:
                if http("GET", self.read + "/v1/settings/" + KEY, timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("fleet bench: %s never served %s" % (self.name, KEY))

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class WatchStream(threading.Thread):
    """Follows one sidecar's /v1/watch and notes when each change of KEY arrived (monotonic seconds)."""

    def __init__(self, sidecar):
        super().__init__(daemon=True)
        self.sidecar = sidecar
        self.arrivals = []
        self.open = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        req = urllib.request.Request(self.sidecar.read + "/v1/watch", headers={"Accept": "text/event-stream"})
        with urllib.request.urlopen(req, timeout=3600) as r:
            self.open.set()
            for raw in r:
                line = raw.decode().strip()
                if line.startswith("data:"):
                    now = time.monotonic()
                    try:
                        keys = json.loads(line[5:]).get("keys", [])
                    except ValueError:
                        continue
                    if KEY in keys:
                        with self.lock:
                            self.arrivals.append(now)

    def count(self):
        with self.lock:
            return len(self.arrivals)

    def arrival(self, index):
        with self.lock:
            return self.arrivals[index] if index < len(self.arrivals) else None


def propagation(fleet, reps, changes, tsv):
    streams = [WatchStream(s) for s in fleet]
    for s in streams:
        s.start()
    for s in streams:
        if not s.open.wait(30):
            raise SystemExit("fleet bench: a watch stream did not open")
    auth = {"Authorization": "Bearer " + TOKEN}
    per_rep = []
    everything = []
    percent = 50
    for rep in range(1, reps + 1):
        samples = []
        for _ in range(changes):
            before = [s.count() for s in streams]
            percent = 30 if percent != 30 else 40
            status, body = http("POST", fleet[0].ops + "/admin/v1/migrations/%s/percent" % KEY,
                                {"percent": percent, "reason": "bench"}, headers=auth)
            answered = time.monotonic()
            if status != 200:
                raise SystemExit("fleet bench: the change was refused: %d %s" % (status, body))
            deadline = answered + 30
            while any(s.count() <= b for s, b in zip(streams, before)):
                if time.monotonic() > deadline:
                    raise SystemExit("fleet bench: a sidecar did not serve a change within 30 s")
                time.sleep(0.0005)
            last = max(s.arrival(b) for s, b in zip(streams, before))
            samples.append(max(0.0, last - answered) * 1000)
            time.sleep(0.05)  # let the fleet settle between changes
        per_rep.append((percentile(samples, 50), percentile(samples, 99)))
        everything.extend(samples)
        print("propagation rep %d: p50 %.1f ms, p99 %.1f ms, max %.1f ms over %d changes (load %s)"
              % (rep, per_rep[-1][0], per_rep[-1][1], max(samples), len(samples), loadavg()), flush=True)
        if tsv:
            for v in samples:
                tsv.write("propagation\tms\t10 sidecars\t%d\t%.3f\n" % (rep, v))
    p50s = [p for p, _ in per_rep]
    p99s = [p for _, p in per_rep]
    print("propagation, 10 sidecars: p50 median %.1f ms (%.1f - %.1f), p99 median %.1f ms (%.1f - %.1f) over %d"
          " repetitions; all %d samples: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (statistics.median(p50s), min(p50s), max(p50s), statistics.median(p99s), min(p99s), max(p99s),
             reps, len(everything), percentile(everything, 50), percentile(everything, 99), max(everything)),
          flush=True)


def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t2", "-c32", "-d%ds" % seconds, "-s", os.path.join(ROOT, "bench", "reads.lua"),
                          url], capture_output=True, text=True, env=dict(os.environ, BENCH_UNITS="10000"),
                         check=True).stdout
    if re.search(r"Non-2xx|Socket errors", out):
        raise SystemExit("fleet bench: wrk saw errors on %s:\n%s" % (url, out))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def reads(etcd_sidecar, local_sidecar, reps, seconds, tsv):
    targets = [("etcd", etcd_sidecar.read + "/v1/settings/" + KEY),
               ("local", local_sidecar.read + "/v1/settings/" + KEY)]
    for name, url in targets:
        wrk(url, seconds)  # warm-up: the JIT and the caches, as long as a measurement
    ratios = []
    by = {"etcd": [], "local": []}
    for rep in range(1, reps + 1):
        order = targets if rep % 2 == 1 else list(reversed(targets))
        got = {}
        for name, url in order:
            got[name] = wrk(url, seconds)
            by[name].append(got[name])
            if tsv:
                tsv.write("reads\trequests/s\t%s\t%d\t%.0f\n" % (name, rep, got[name]))
        ratios.append(got["etcd"] / got["local"])
        print("reads rep %d: etcd %.0f req/s, local %.0f req/s, ratio %.3f (load %s)"
              % (rep, got["etcd"], got["local"], ratios[-1], loadavg()), flush=True)
    print("reads: etcd median %.0f req/s (%.0f - %.0f), local median %.0f req/s (%.0f - %.0f); ratio etcd/local"
          " median %.3f (%.3f - %.3f) over %d repetitions"
          % (statistics.median(by["etcd"]), min(by["etcd"]), max(by["etcd"]), statistics.median(by["local"]),
             min(by["local"]), max(by["local"]), statistics.median(ratios), min(ratios), max(ratios), reps),
          flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--changes", type=int, default=40)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--jar", default=os.path.join(ROOT, "sidecar", "target", "crossfade-sidecar.jar"))
    ap.add_argument("--java", default="java")
    ap.add_argument("--only", default="propagation reads")
    ap.add_argument("--tsv")
    args = ap.parse_args()
    if not os.path.isfile(args.jar):
        raise SystemExit("fleet bench: %s is missing; ./mvnw -B -DskipTests package first" % args.jar)
    if not os.access("/usr/bin/etcd", os.X_OK):
        raise SystemExit("fleet bench: /usr/bin/etcd is missing; apt-get install etcd-server")
    work = tempfile.mkdtemp(prefix="crossfade-fleet-bench-")
    with open(os.path.join(work, "admin.token"), "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(os.path.join(work, "admin.token"), 0o600)
    tsv = open(args.tsv, "a") if args.tsv else None
    print("fleet bench: %d CPUs, load %s, work dir %s" % (os.cpu_count(), loadavg(), work), flush=True)
    etcd = Etcd(work)
    fleet_args = ["--store", "etcd", "--etcd-endpoints", etcd.url, "--fleet", "bench"]
    sidecars = []
    try:
        sidecars.append(Sidecar(work, "fleet-0", args.java, args.jar, READ_OPTS, fleet_args))
        sidecars[0].await_listening()
        for i in range(1, 10):
            sidecars.append(Sidecar(work, "fleet-%d" % i, args.java, args.jar, LIGHT_OPTS, fleet_args))
        for s in sidecars[1:]:
            s.await_listening()
        if "propagation" in args.only:
            print("propagation: start (load %s)" % loadavg(), flush=True)
            propagation(sidecars, args.reps, args.changes, tsv)
            print("propagation: end (load %s)" % loadavg(), flush=True)
        if "reads" in args.only:
            for s in sidecars[1:]:
                s.close()
            local = Sidecar(work, "local", args.java, args.jar, READ_OPTS, [])
            sidecars.append(local)
            local.await_listening()
            print("reads: start (load %s)" % loadavg(), flush=True)
            reads(sidecars[0], local, args.reps, args.seconds, tsv)
            print("reads: end (load %s)" % loadavg(), flush=True)
    finally:
        for s in sidecars:
            s.close()
        etcd.close()
        if tsv:
            tsv.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

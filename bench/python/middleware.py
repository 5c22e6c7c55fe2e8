"""What CrossfadeMiddleware adds to a FastAPI request: a hello world with and without it, under
uvicorn, measured side by side with wrk (median and spread over repetitions).

    /usr/bin/python3 bench/python/middleware.py [--reps 5] [--seconds 10] [--connections 8] [--out FILE]

Two figures per app and repetition: wrk's rate, and the server process's CPU time per request
(user + system, from /proc/PID/stat, divided by the requests wrk completed). On a shared machine the
rate swings with the neighbours' load; CPU time per request is what the middleware adds to each
request, and it moves much less, so the overhead is computed from it (and from the rates, for
comparison).

Starts the sidecar jar (sidecar/target/crossfade-sidecar.jar; build it with ./mvnw package) with a
running migration, so the middleware does its whole work: it records an outcome per request and
sends the batches. Each repetition runs both apps one after the other, the order alternating; the
overhead is computed within a repetition. Servers run on CPU 0, wrk and the sidecar on CPU 1
(taskset), so the load generator does not take the server's CPU. Needs wrk (apt-get install wrk).
"""
import argparse
import json
import os
import pathlib
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
SETTINGS = """\
settings:
  db.pool.size: { value: 10, owner: bench }
migrations:
  db.pool.size: { to: 20, percent: 50, owner: bench, expected: none, rollback: none,
                  guard: { maxErrorRate: 0.5, maxRatio: 100, minSamples: 1000000, window: 60s, action: halt } }
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read()
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("no answer from " + url)


def start_sidecar(work):
    settings = work / "settings"
    settings.mkdir()
    (settings / "s.yaml").write_text(SETTINGS)
    log = open(work / "sidecar.log", "wb")
    p = subprocess.Popen(["taskset", "-c", "1", "java", "-Xmx256m", "-jar",
                          str(REPO / "sidecar" / "target" / "crossfade-sidecar.jar"), "serve", "--settings",
                          str(settings), "--state", str(work / "state"), "--listen", "127.0.0.1:0",
                          "--ops-listen", "127.0.0.1:0"], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        m = re.search(r"listening read=(\S+) ops=(\S+)", (work / "sidecar.log").read_text())
        if m:
            return p, "http://" + m.group(1), "http://" + m.group(2)
        time.sleep(0.2)
    raise RuntimeError("sidecar did not start:\n" + (work / "sidecar.log").read_text())


def start_app(module, env, work):
    port = free_port()
    log = open(work / (module + ".log"), "wb")
    p = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-m", "uvicorn", module + ":app", "--app-dir",
                          str(HERE), "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                          "--no-access-log"], stdout=log, stderr=subprocess.STDOUT,
                         env=dict(os.environ, PYTHONPATH=str(REPO / "clients" / "python" / "src"), **env))
    wait_http("http://127.0.0.1:%d/hello" % port)
    return p, "http://127.0.0.1:%d" % port


def cpu_seconds(pid):
    """User + system CPU time of a process so far, from /proc/PID/stat."""
    fields = pathlib.Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url, seconds, connections):
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "--latency",
                          "-s", str(HERE / "users.lua"), url + "/hello"], capture_output=True, text=True,
                         check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = re.search(r"50%\s+([0-9.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[p50.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p50.group(1)) * scale, int(errors.group(1)) if errors else 0, requests, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--out", default=None, help="also write the raw wrk outputs here")
    a = ap.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="crossfade-bench-py-"))
    procs = []
    raw = []
    try:
        sidecar, read, ops = start_sidecar(work)
        procs.append(sidecar)
        plain, plain_url = start_app("hello_plain", {}, work)
        procs.append(plain)
        cf, cf_url = start_app("hello_crossfade", {"CROSSFADE_URL": read}, work)
        procs.append(cf)
        wait_http(cf_url + "/outcomes")
        for url in (plain_url, cf_url):  # warm-up
            wrk(url, 3, a.connections)
        rows = []
        pids = {"plain": plain.pid, "crossfade": cf.pid}
        for rep in range(a.reps):
            order = [("plain", plain_url), ("crossfade", cf_url)]
            if rep % 2:
                order.reverse()
            got = {}
            for name, url in order:
                before = cpu_seconds(pids[name])
                rps, p50, errors, requests, out = wrk(url, a.seconds, a.connections)
                cpu_us = (cpu_seconds(pids[name]) - before) / requests * 1e6
                got[name] = (rps, p50, errors, cpu_us)
                raw.append("### repetition %d, %s: server CPU %.1f us/request\n%s" % (rep + 1, name, cpu_us, out))
            by_cpu = (got["crossfade"][3] / got["plain"][3] - 1) * 100
            by_rate = (got["plain"][0] / got["crossfade"][0] - 1) * 100  # extra time per request, in %
            rows.append((got["plain"], got["crossfade"], by_cpu, by_rate))
            print("rep %d: plain %.0f req/s, %.0f us CPU/req | crossfade %.0f req/s, %.0f us CPU/req | "
                  "overhead by CPU %.1f %%, by rate %.1f %%"
                  % (rep + 1, got["plain"][0], got["plain"][3], got["crossfade"][0], got["crossfade"][3], by_cpu,
                     by_rate), flush=True)
        def summary(values, fmt):
            values = list(values)
            return (fmt + " (" + fmt + " - " + fmt + ")") % (statistics.median(values), min(values), max(values))
        print("plain     req/s %s, CPU us/request %s" % (summary((r[0][0] for r in rows), "%.0f"),
                                                        summary((r[0][3] for r in rows), "%.0f")))
        print("crossfade req/s %s, CPU us/request %s" % (summary((r[1][0] for r in rows), "%.0f"),
                                                        summary((r[1][3] for r in rows), "%.0f")))
        print("overhead by server CPU per request: median %s %%" % summary((r[2] for r in rows), "%.1f"))
        print("overhead by rate (for comparison):  median %s %%" % summary((r[3] for r in rows), "%.1f"))
        print("non-2xx: plain %d, crossfade %d" % (sum(r[0][2] for r in rows), sum(r[1][2] for r in rows)))
        outcomes = json.loads(wait_http(cf_url + "/outcomes"))
        metrics = wait_http(ops + "/metrics").decode()
        counted = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                      if line.startswith("crossfade_outcomes_total{") and 'source="api"' in line)
        print("outcomes: client %s; sidecar counted %d (source=api)" % (outcomes, counted))
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        if a.out:
            pathlib.Path(a.out).write_text("\n".join(raw))


if __name__ == "__main__":
    main()

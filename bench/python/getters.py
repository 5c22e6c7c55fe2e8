"""What one getter of the crossfade package costs, with timeit: median and spread of repeated runs.

    /usr/bin/python3 bench/python/getters.py [--repeat 7] [--number 200000]

No sidecar is needed: the client's reader is given a snapshot document like the sidecar's (a
static setting and a migration at 50 %), so only the getter's own work is timed. "warm" reads a
migrated key for a unit whose bucket the client has already computed (units repeat: users come
back); "cold" a unit never seen, i.e. the murmur3 hash in Python on top.
"""
import argparse
import pathlib
import platform
import statistics
import sys
import timeit

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "clients" / "python" / "src"))

from crossfade.bucketing import bucket  # noqa: E402
from crossfade.reader import SettingsReader  # noqa: E402
from crossfade.snapshot import Snapshot  # noqa: E402

DOC = {"version": 1, "instanceId": "bench-1",
       "settings": {"db.pool.size": 10, "checkout.banner": {"text": "hi"}, "greeting": "hello",
                    "feature.on": True, "ratio": 0.5},
       "migrations": {"db.pool.size": {"id": "x", "from": 10, "to": 20, "salt": "db.pool.size", "percent": 50,
                                       "state": "running"}}}

reader = SettingsReader(None, "bench")
reader._snapshot = Snapshot.from_json(DOC)
view = reader.for_unit("user-12345")
reader.get_int("db.pool.size", 0, "user-12345")  # warm this unit's bucket

PLAIN = dict(DOC["settings"])

CASES = [
    ("baseline: dict.get (the machine's yardstick)", lambda: PLAIN.get("greeting", 0)),
    ("get_int, static setting", lambda: reader.get_int("greeting", 0)),
    ("get_str, static setting", lambda: reader.get_str("greeting", "")),
    ("get_json, static setting", lambda: reader.get_json("checkout.banner", None)),
    ("get_int, migrated, warm unit", lambda: reader.get_int("db.pool.size", 0, "user-12345")),
    ("get_json, migrated, warm unit", lambda: reader.get_json("db.pool.size", None, "user-12345")),
    ("request view get_int, migrated, warm", lambda: view.get_int("db.pool.size", 0)),
    ("details, migrated, warm unit", lambda: reader.details("db.pool.size", "user-12345")),
    ("bucket() alone: the cold unit's extra hash", lambda: bucket("db.pool.size", "user-12345")),
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--number", type=int, default=200_000)
    a = p.parse_args()
    print("python %s on %s; timeit, %d repetitions of %d calls each; microseconds per call"
          % (platform.python_version(), platform.machine(), a.repeat, a.number))
    print("%-44s %8s %8s %8s" % ("case", "median", "min", "max"))
    for name, fn in CASES:
        per_call = [t / a.number * 1e6 for t in timeit.repeat(fn, repeat=a.repeat, number=a.number)]
        print("%-44s %8.3f %8.3f %8.3f" % (name, statistics.median(per_call), min(per_call), max(per_call)))
    # a cold unit: each call a unit the cache has not seen
    units = ["cold-user-%d" % i for i in range(a.number)]
    per_call = []
    for _ in range(a.repeat):
        reader._buckets.clear()
        it = iter(units)
        t = timeit.timeit(lambda: reader.get_int("db.pool.size", 0, next(it)), number=a.number)
        per_call.append(t / a.number * 1e6)
    print("%-44s %8.3f %8.3f %8.3f" % ("get_int, migrated, cold unit (+next())", statistics.median(per_call),
                                       min(per_call), max(per_call)))


if __name__ == "__main__":
    main()

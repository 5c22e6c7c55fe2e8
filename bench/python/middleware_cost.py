"""The middleware's own cost per request, in-process: an ASGI app called directly and through
CrossfadeMiddleware (unit from a header, the settings view, one outcome recorded on a running
migration), median and spread of repeated runs. No server, no network: the difference is what the
middleware adds to every request, to compare with a whole request's CPU time (middleware.py).

    /usr/bin/python3 bench/python/middleware_cost.py [--repeat 7] [--number 100000]
"""
import argparse
import asyncio
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "clients" / "python" / "src"))

import crossfade  # noqa: E402
from crossfade.asgi import CrossfadeMiddleware  # noqa: E402
from crossfade.snapshot import Snapshot  # noqa: E402

DOC = {"version": 1, "instanceId": "bench-1", "settings": {"db.pool.size": 10},
       "migrations": {"db.pool.size": {"id": "x", "from": 10, "to": 20, "salt": "db.pool.size", "percent": 50,
                                       "state": "running"}}}
HEADERS = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*"), (b"x-user-id", b"user-42")]


async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def send(message):
    pass


async def receive():
    return {"type": "http.request", "body": b""}


async def per_call(target, number, client):
    t = time.perf_counter()
    for _ in range(number):
        await target({"type": "http", "headers": HEADERS}, receive, send)
    elapsed = time.perf_counter() - t
    client._outcomes.abandon()  # keep the queue from filling: the sender is not running here
    return elapsed / number * 1e6


async def main(repeat, number):
    client = crossfade.AsyncClient("http://127.0.0.1:1", outcome_capacity=10 * number)
    client._snapshot = Snapshot.from_json(DOC)
    client._http = object()  # counts as started: no follower or sender runs, only the request path is timed
    middleware = CrossfadeMiddleware(app, client=client)
    bare, through = [], []
    for _ in range(repeat):
        bare.append(await per_call(app, number, client))
        through.append(await per_call(middleware, number, client))
    extra = [t - b for t, b in zip(through, bare)]
    print("%d repetitions of %d requests; microseconds per request: median (min - max)" % (repeat, number))
    for name, values in (("app alone", bare), ("app through CrossfadeMiddleware", through),
                         ("added by the middleware", extra)):
        print("%-34s %7.2f (%.2f - %.2f)" % (name, statistics.median(values), min(values), max(values)))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--number", type=int, default=100_000)
    a = ap.parse_args()
    asyncio.run(main(a.repeat, a.number))

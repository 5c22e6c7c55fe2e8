"""The middleware's own cost per request, in-process: a bare ASGI app and a FastAPI hello world,
each called directly and through CrossfadeMiddleware (unit from a header, the settings view, one
outcome recorded on a running migration), CPU time, median and spread of repeated runs. No server,
no network: the difference is what the middleware adds to every request, to compare with a whole
request's CPU time under uvicorn (middleware.py). The sender's cost per outcome is timed too:
taking batches from the queue and writing their bodies (the POST itself is httpx's).

    /usr/bin/python3 bench/python/middleware_cost.py [--repeat 7] [--number 20000]
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


def fastapi_hello():
    from fastapi import FastAPI
    app = FastAPI()

    @app.get("/hello")
    async def hello():
        return {"hello": "world"}
    return app


def http_scope(i):
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": "/hello", "raw_path": b"/hello", "query_string": b"", "root_path": "",
            "headers": HEADERS[:3] + [(b"x-user-id", b"user-%d" % (i % 10000))],
            "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}


async def per_call(target, number, client):
    t = time.process_time()
    for i in range(number):
        await target(http_scope(i), receive, send)
    elapsed = time.process_time() - t
    client._outcomes.abandon()  # keep the queue from filling: the sender is not running here
    return elapsed / number * 1e6


def sender_cost(number):
    from crossfade.outcomes import OutcomeQueue, batch_body
    q = OutcomeQueue(capacity=number)
    for i in range(number):
        q.record_keys(("db.pool.size",), "user-%d" % i, True)
    t = time.process_time()
    while True:
        batch = q.next_batch()
        if batch is None:
            break
        batch_body(batch)
        q.settle(202)
    return (time.process_time() - t) / number * 1e6


async def main(repeat, number):
    client = crossfade.AsyncClient("http://127.0.0.1:1", outcome_capacity=10 * number)
    client._snapshot = Snapshot.from_json(DOC)
    client._http = object()  # counts as started: no follower or sender runs, only the request path is timed
    print("%d repetitions of %d requests; CPU microseconds per request: median (min - max)" % (repeat, number))
    plain_fastapi = fastapi_hello()
    with_fastapi = fastapi_hello()
    with_fastapi.add_middleware(CrossfadeMiddleware, client=client)
    for label, plain, through_mw in (("bare ASGI app", app, CrossfadeMiddleware(app, client=client)),
                                     ("FastAPI hello world", plain_fastapi, with_fastapi)):
        bare, through = [], []
        for _ in range(repeat):
            bare.append(await per_call(plain, number, client))
            through.append(await per_call(through_mw, number, client))
        extra = [t - b for t, b in zip(through, bare)]
        for name, values in ((label + " alone", bare), (label + " + middleware", through),
                             (label + ": added", extra)):
            print("%-36s %7.2f (%.2f - %.2f)" % (name, statistics.median(values), min(values), max(values)))
    costs = [sender_cost(number) for _ in range(repeat)]
    print("%-36s %7.2f (%.2f - %.2f)" % ("sender: batches + bodies, per outcome", statistics.median(costs),
                                          min(costs), max(costs)))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--number", type=int, default=20_000)
    a = ap.parse_args()
    asyncio.run(main(a.repeat, a.number))

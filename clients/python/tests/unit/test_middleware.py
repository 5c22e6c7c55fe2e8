"""The ASGI (FastAPI) and WSGI (Flask) middlewares: the unit, the request's settings, its outcome."""
import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

import crossfade
from crossfade.asgi import CrossfadeMiddleware as AsgiMiddleware
from crossfade.wsgi import CrossfadeMiddleware as WsgiMiddleware

from .fake_sidecar import FAST, FakeSidecar


def fastapi_app(client, **options):
    app = FastAPI()
    app.add_middleware(AsgiMiddleware, client=client, **options)

    @app.get("/pool")
    async def pool(request: Request):
        return {"unit": request.state.unit, "pool": request.state.crossfade.get_int("db.pool.size", -1)}

    @app.get("/status/{code}")
    async def status(code: int):
        return PlainTextResponse("x", status_code=code)

    @app.get("/boom")
    async def boom():
        raise RuntimeError("boom")

    return app


async def until(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met within %s s" % timeout
        await asyncio.sleep(0.01)


@pytest.fixture
async def asgi():
    sidecar = FakeSidecar()
    client = crossfade.AsyncClient("http://sidecar", transport=sidecar.transport(), **FAST)
    await client.start()
    assert await client.ready(5)
    yield sidecar, client
    await client.aclose()


def http(app):
    return httpx.AsyncClient(app=app, base_url="http://app")


async def test_the_request_gets_its_unit_and_settings_and_reports_ok(asgi):
    sidecar, client = asgi
    async with http(fastapi_app(client)) as app:
        r = await app.get("/pool", headers={"X-User-Id": "user-1"})
    assert r.json() == {"unit": "user-1", "pool": 20}
    await client.flush()
    assert sidecar.outcomes() == [{"key": "db.pool.size", "unit": "user-1", "ok": True}]


async def test_5xx_an_exception_and_the_predicate_are_errors(asgi):
    sidecar, client = asgi
    app = fastapi_app(client, is_error=lambda scope, status: status == 429)
    async with http(app) as a:
        await a.get("/status/503", headers={"X-User-Id": "u-503"})
        await a.get("/status/429", headers={"X-User-Id": "u-429"})
        await a.get("/status/404", headers={"X-User-Id": "u-404"})
        with pytest.raises(RuntimeError):
            await a.get("/boom", headers={"X-User-Id": "u-boom"})
    await client.flush()
    assert {o["unit"]: o["ok"] for o in sidecar.outcomes()} == {"u-503": False, "u-429": False, "u-404": True,
                                                                "u-boom": False}


async def test_the_unit_comes_from_the_header_else_the_cookie_else_the_callable_else_the_default(asgi):
    sidecar, client = asgi
    app = fastapi_app(client, unit_cookie="uid", unit=lambda scope: scope["query_string"].decode() or None)
    async with http(app) as a:
        assert (await a.get("/pool", headers={"X-User-Id": "h", "Cookie": "uid=c"})).json()["unit"] == "h"
        assert (await a.get("/pool", headers={"Cookie": "a=b; uid=c"})).json()["unit"] == "c"
        assert (await a.get("/pool?q")).json()["unit"] == "q"
        r = (await a.get("/pool")).json()
    assert r["unit"] is None and r["pool"] == 10  # the instance id "pod-1" reads the old value
    await client.flush()
    assert [o["unit"] for o in sidecar.outcomes()] == ["h", "c", "q", "pod-1"]


async def test_only_the_given_keys_are_reported(asgi):
    sidecar, client = asgi
    async with http(fastapi_app(client, keys=["other.key"])) as a:
        await a.get("/pool", headers={"X-User-Id": "u"})
    await client.flush()
    assert sidecar.outcomes() == []


async def test_the_lifespan_starts_the_client_and_its_shutdown_sends_the_last_outcomes():
    sidecar = FakeSidecar()
    client = crossfade.AsyncClient("http://sidecar", transport=sidecar.transport(), initial_backoff=0.01,
                                   max_backoff=0.05, outcome_interval=1.0)
    app = fastapi_app(client)
    middleware = AsgiMiddleware(app.router, client=client)  # the middleware alone, around the router's lifespan
    inbox, outbox = asyncio.Queue(), asyncio.Queue()
    task = asyncio.create_task(middleware({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                          inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    assert client.started and await client.ready(5)
    client.record_request("user-1", False)
    await inbox.put({"type": "lifespan.shutdown"})
    assert (await outbox.get())["type"] == "lifespan.shutdown.complete"
    await task
    assert sidecar.outcomes() == [{"key": "db.pool.size", "unit": "user-1", "ok": False}]


async def test_a_full_queue_drops_and_the_request_does_not_wait():
    sidecar = FakeSidecar()
    client = crossfade.AsyncClient("http://sidecar", transport=sidecar.transport(), outcome_capacity=2,
                                   initial_backoff=0.01, max_backoff=0.05, outcome_interval=1.0)
    async with client:
        assert await client.ready(5)
        async with http(fastapi_app(client)) as a:
            for i in range(5):
                assert (await a.get("/pool", headers={"X-User-Id": "u%d" % i})).status_code == 200
        assert client.outcomes().dropped == 3


def test_the_middleware_needs_a_client_or_an_address():
    with pytest.raises(ValueError, match="needs client=AsyncClient"):
        AsgiMiddleware(None)


# ---- WSGI


def flask_app(client, **options):
    from flask import Flask, request
    app = Flask("test")
    app.wsgi_app = WsgiMiddleware(app.wsgi_app, client=client, **options)

    @app.get("/pool")
    def pool():
        return {"unit": request.environ["crossfade.unit"], "pool": request.environ["crossfade"].get_int("db.pool.size", -1)}

    @app.get("/status/<int:code>")
    def status(code):
        return "x", code

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    return app


def test_flask_requests_get_their_settings_and_report_outcomes():
    sidecar = FakeSidecar()
    with crossfade.Client("http://sidecar", transport=sidecar.transport(), initial_backoff=0.01, max_backoff=0.05,
                          outcome_interval=1.0) as client:
        assert client.ready(5)
        app = flask_app(client, unit_cookie="uid", is_error=lambda environ, status: status == 429).test_client()
        assert app.get("/pool", headers={"X-User-Id": "user-1"}).json == {"unit": "user-1", "pool": 20}
        app.set_cookie("localhost", "uid", "user-42")
        assert app.get("/pool").json == {"unit": "user-42", "pool": 10}
        app.delete_cookie("localhost", "uid")
        # as a server does, each body is read to its end (that is when the outcome is known)
        assert app.get("/status/500", headers={"X-User-Id": "u-500"}).data == b"x"
        assert app.get("/status/429", headers={"X-User-Id": "u-429"}).data == b"x"
        assert app.get("/status/404", headers={"X-User-Id": "u-404"}).data == b"x"
        boom = app.get("/boom", headers={"X-User-Id": "u-boom"})  # Flask answers the exception itself
        assert boom.status_code == 500 and boom.data
    assert [(o["unit"], o["ok"]) for o in sidecar.outcomes()] == [
        ("user-1", True), ("user-42", True), ("u-500", False), ("u-429", False), ("u-404", True), ("u-boom", False)]


def test_an_exception_out_of_the_wsgi_app_is_an_error_and_propagates():
    sidecar = FakeSidecar()
    with crossfade.Client("http://sidecar", transport=sidecar.transport(), **FAST) as client:
        assert client.ready(5)

        def broken(environ, start_response):
            raise RuntimeError("broken")

        with pytest.raises(RuntimeError):
            WsgiMiddleware(broken, client=client)({"HTTP_X_USER_ID": "u"}, lambda *a: None)
    assert sidecar.outcomes() == [{"key": "db.pool.size", "unit": "u", "ok": False}]


async def test_a_cancelled_request_is_not_an_outcome(asgi):
    sidecar, client = asgi

    async def cancelled(scope, receive, send):
        raise asyncio.CancelledError()

    middleware = AsgiMiddleware(cancelled, client=client)
    with pytest.raises(asyncio.CancelledError):
        await middleware({"type": "http", "headers": [(b"x-user-id", b"u")]}, None, None)
    await client.flush()
    assert sidecar.outcomes() == []
    assert client.outcomes().recorded == 0

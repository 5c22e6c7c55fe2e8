"""An ASGI middleware for FastAPI and Starlette: settings on every request, outcomes for the guard.

::

    from fastapi import FastAPI, Request
    from crossfade import AsyncClient
    from crossfade.asgi import CrossfadeMiddleware

    settings = AsyncClient("http://127.0.0.1:7070")
    app = FastAPI()
    app.add_middleware(CrossfadeMiddleware, client=settings, unit_header="x-user-id")

    @app.get("/checkout")
    async def checkout(request: Request):
        decimals = request.state.crossfade.get_json("checkout.price_format", {"decimals": 2})["decimals"]

For each HTTP request the middleware takes the unit (a header, else a cookie, else a callable, else
the client's default unit or the sidecar's instance id), puts ``request.state.unit`` and
``request.state.crossfade`` (a :class:`crossfade.reader.SettingsView` reading as that unit) on the
request, and once the response has started records one outcome for the unit on every running
migration: an error when the status is 5xx, the app raised, or ``is_error(scope, status)`` says so.
Recording only appends to the client's bounded queue; the client's own task sends the batches.

It starts the client on the ASGI lifespan's startup (or on the first request when the server runs
no lifespan) and closes it, sending the last outcomes, on the lifespan's shutdown.
"""
from http.cookies import SimpleCookie
from typing import Any, Callable, Iterable, Optional

from .client import AsyncClient


class CrossfadeMiddleware:
    """See the module's documentation.

    :param client: the :class:`AsyncClient` to read from and report through; or give ``url``/``uds``
        and the middleware makes one (``middleware.client``).
    :param unit_header: request header naming the unit (case-insensitive); None for none.
    :param unit_cookie: cookie naming the unit when the header is absent; None for none.
    :param unit: ``unit(scope) -> str | None``, asked when neither header nor cookie gave one.
    :param is_error: ``is_error(scope, status) -> bool``: further responses to count as errors
        (a 5xx and an unhandled exception always are).
    :param keys: report only on these keys' migrations (default: every running migration).
    """

    def __init__(self, app, client: Optional[AsyncClient] = None, *, url: Optional[str] = None,
                 uds: Optional[str] = None, unit_header: Optional[str] = "x-user-id",
                 unit_cookie: Optional[str] = None, unit: Optional[Callable[[dict], Optional[str]]] = None,
                 is_error: Optional[Callable[[dict, int], bool]] = None, keys: Optional[Iterable[str]] = None):
        if client is None:
            if url is None and uds is None:
                raise ValueError("CrossfadeMiddleware needs client=AsyncClient(...), or url= or uds= to make one")
            client = AsyncClient(url or "http://127.0.0.1:7070", uds=uds)
        elif url is not None or uds is not None:
            raise ValueError("give CrossfadeMiddleware either client= or url=/uds=, not both")
        self.app = app
        self.client = client
        self._header = unit_header.lower().encode("latin-1") if unit_header else None
        self._cookie = unit_cookie
        self._unit = unit
        self._is_error = is_error
        self._keys = frozenset(keys) if keys is not None else None

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "http":
            return await self._http(scope, receive, send)
        if kind == "lifespan":
            return await self._lifespan(scope, receive, send)
        return await self.app(scope, receive, send)

    async def _http(self, scope, receive, send):
        client = self.client
        if client._http is None:  # no lifespan ran: start on the first request
            await client.start()
        unit = self.unit_of(scope)
        state = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        state["unit"] = unit
        state["crossfade"] = client.for_unit(unit)
        status = 0

        async def send_and_watch(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except Exception:
            client.record_request(unit, False, self._keys)
            raise
        # a cancelled request (the server's shutdown, the client gone) says nothing about the value
        if status:  # no response at all (the client went away first) says nothing about the value
            ok = status < 500 and not (self._is_error is not None and self._is_error(scope, status))
            client.record_request(unit, ok, self._keys)

    def unit_of(self, scope) -> Optional[str]:
        """The request's unit: the header, else the cookie, else ``unit(scope)``; None for the default."""
        header, cookie = self._header, self._cookie
        cookies = None
        if header is not None or cookie is not None:
            for name, value in scope["headers"]:
                if name == header and value:
                    return value.decode("utf-8", "replace")
                if cookie is not None and name == b"cookie":
                    cookies = value
        if cookies is not None:
            jar = SimpleCookie()
            try:
                jar.load(cookies.decode("latin-1"))
            except Exception:
                jar = {}
            morsel = jar.get(cookie)
            if morsel is not None and morsel.value:
                return morsel.value
        if self._unit is not None:
            return self._unit(scope) or None
        return None

    async def _lifespan(self, scope, receive, send):
        """Passes the lifespan through to the app, starting the client before the app's startup and
        closing it (sending the last outcomes) after the app's shutdown."""

        async def receive_and_start():
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.client.start()
            return message

        async def send_and_close(message: Any):
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                await self.client.aclose()
            await send(message)

        await self.app(scope, receive_and_start, send_and_close)

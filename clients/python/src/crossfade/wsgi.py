"""A WSGI middleware for Flask and other synchronous apps: what :mod:`crossfade.asgi` does for ASGI.

::

    from flask import Flask, request
    from crossfade import Client
    from crossfade.wsgi import CrossfadeMiddleware

    settings = Client("http://127.0.0.1:7070")
    app = Flask(__name__)
    app.wsgi_app = CrossfadeMiddleware(app.wsgi_app, client=settings, unit_header="x-user-id")

    @app.get("/checkout")
    def checkout():
        price_format = request.environ["crossfade"].get_json("checkout.price_format", {"decimals": 2})

For each request the middleware takes the unit (a header, else a cookie, else a callable, else the
client's default unit or the sidecar's instance id), puts ``environ["crossfade.unit"]`` and
``environ["crossfade"]`` (a :class:`crossfade.reader.SettingsView` reading as that unit) in the
environ, and when the response's body has been sent (or closed) records one outcome for the unit on every running migration:
an error when the status is 5xx, the app raised (while answering or while its body was read), or
``is_error(environ, status)`` says so. Recording only appends to the client's bounded queue; the
client's own thread sends the batches. Close the client at exit to send the last ones.
"""
from http.cookies import SimpleCookie
from typing import Callable, Iterable, Optional

from .client import Client


class CrossfadeMiddleware:
    """See the module's documentation; the options are those of :class:`crossfade.asgi.CrossfadeMiddleware`,
    with the WSGI ``environ`` where that one takes the ASGI scope."""

    def __init__(self, app, client: Client, *, unit_header: Optional[str] = "x-user-id",
                 unit_cookie: Optional[str] = None, unit: Optional[Callable[[dict], Optional[str]]] = None,
                 is_error: Optional[Callable[[dict, int], bool]] = None, keys: Optional[Iterable[str]] = None):
        self.app = app
        self.client = client
        self._header = "HTTP_" + unit_header.upper().replace("-", "_") if unit_header else None
        self._cookie = unit_cookie
        self._unit = unit
        self._is_error = is_error
        self._keys = frozenset(keys) if keys is not None else None

    def __call__(self, environ, start_response):
        unit = self.unit_of(environ)
        environ["crossfade.unit"] = unit
        environ["crossfade"] = self.client.for_unit(unit)
        seen = []

        def start_and_watch(status, headers, exc_info=None):
            seen.append(int(status[:3]))
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, start_and_watch)
        except Exception:
            self.client.record_request(unit, False, self._keys)
            raise
        return _Body(body, self, environ, unit, seen)

    def unit_of(self, environ) -> Optional[str]:
        """The request's unit: the header, else the cookie, else ``unit(environ)``; None for the default."""
        if self._header is not None:
            value = environ.get(self._header)
            if value:
                return value
        if self._cookie is not None:
            raw = environ.get("HTTP_COOKIE")
            if raw:
                jar = SimpleCookie()
                try:
                    jar.load(raw)
                except Exception:
                    jar = {}
                morsel = jar.get(self._cookie)
                if morsel is not None and morsel.value:
                    return morsel.value
        if self._unit is not None:
            return self._unit(environ) or None
        return None

    def _done(self, environ, unit, seen, raised: bool) -> None:
        if raised:
            self.client.record_request(unit, False, self._keys)
        elif seen:
            status = seen[-1]
            ok = status < 500 and not (self._is_error is not None and self._is_error(environ, status))
            self.client.record_request(unit, ok, self._keys)


class _Body:
    """The app's response body, passed through; the outcome is recorded once the body has been read
    to its end, or when the server closes it (PEP 3333's end of a response), so a body that fails
    while being read counts as an error."""

    __slots__ = ("_body", "_mw", "_environ", "_unit", "_seen", "_raised", "_done")

    def __init__(self, body, mw, environ, unit, seen):
        self._body = body
        self._mw = mw
        self._environ = environ
        self._unit = unit
        self._seen = seen
        self._raised = False
        self._done = False

    def __iter__(self):
        try:
            yield from self._body
        except Exception:
            self._raised = True
            self._settle()
            raise
        self._settle()

    def _settle(self):
        if not self._done:
            self._done = True
            self._mw._done(self._environ, self._unit, self._seen, self._raised)

    def close(self):
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._settle()

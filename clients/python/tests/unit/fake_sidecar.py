"""An httpx transport standing in for the sidecar's read API, for tests of the clients and middlewares."""
import asyncio
import json
import threading

import httpx

from .snapshots import body


class FakeSidecar:
    """Serves /v1/snapshot (or fails), ends every /v1/watch at once, and keeps what /v1/outcomes got."""

    def __init__(self, snapshot: bytes = None, outcome_status: int = 202):
        self.snapshot = snapshot if snapshot is not None else body()
        self.outcome_status = outcome_status
        self.down = False
        self.posts = []
        self.lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/v1/snapshot":
            return httpx.Response(200, content=self.snapshot)
        if request.url.path == "/v1/watch":
            return httpx.Response(200, content=b": watching\n\n", headers={"Content-Type": "text/event-stream"})
        if request.url.path == "/v1/outcomes":
            with self.lock:
                self.posts.append(json.loads(request.content)["outcomes"])
            return httpx.Response(self.outcome_status, json={"accepted": 0, "dropped": 0})
        return httpx.Response(404)

    def outcomes(self):
        with self.lock:
            return [o for batch in self.posts for o in batch]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def slow_async_transport(self) -> httpx.MockTransport:
        """As :meth:`transport`, for the async client, each answer taking a moment (other tasks run meanwhile)."""
        async def handle(request):
            await asyncio.sleep(0.01)
            return self.handle(request)
        return httpx.MockTransport(handle)


FAST = dict(initial_backoff=0.01, max_backoff=0.05, outcome_interval=0.05)

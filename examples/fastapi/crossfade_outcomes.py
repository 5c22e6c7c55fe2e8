"""A small ASGI middleware that reports each request's outcome to the Crossfade sidecar.

For services that cannot sit behind the proxy. Every HTTP request becomes one per-unit outcome for
each migrated key the service reads (`{"key", "unit", "ok"}`): ok unless the app answered 5xx or
raised. Outcomes are queued in memory and sent to `POST /v1/outcomes` in batches, at most every
`interval` seconds and at most 1000 per request; a batch that cannot be sent is dropped (the guard
then judges on fewer samples, it is never misled). The unit must be the one the app read its
settings with, so the sidecar puts the outcome on the same side of the migration.
"""
import asyncio
import logging

import httpx

log = logging.getLogger("crossfade")


class OutcomeReporter:
    def __init__(self, app, sidecar_url: str, keys: list, unit_header: str = "x-user-id",
                 default_unit: str = "anonymous", interval: float = 0.25, max_queue: int = 10_000):
        self.app = app
        self.keys = list(keys)
        self.unit_header = unit_header.lower().encode("latin-1")
        self.default_unit = default_unit
        self.interval = interval
        self.max_queue = max_queue
        self.client = httpx.AsyncClient(base_url=sidecar_url, timeout=2.0)
        self.queue = []
        self.flusher = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        unit = self.default_unit
        for name, value in scope["headers"]:
            if name == self.unit_header:
                unit = value.decode("utf-8", "replace") or self.default_unit
                break
        status = 500

        async def send_and_watch(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except Exception:
            status = 500
            raise
        finally:
            self.record(unit, status < 500)

    def record(self, unit: str, ok: bool):
        if len(self.queue) + len(self.keys) > self.max_queue:
            return  # the sidecar is away or slow: drop rather than grow without bound
        self.queue.extend({"key": key, "unit": unit, "ok": ok} for key in self.keys)
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.get_running_loop().create_task(self.flush_soon())

    async def flush_soon(self):
        await asyncio.sleep(self.interval)
        while self.queue:
            batch, self.queue = self.queue[:1000], self.queue[1000:]
            try:
                await self.client.post("/v1/outcomes", json={"outcomes": batch})
            except httpx.HTTPError as e:
                log.warning("could not report %d outcomes to crossfade: %s", len(batch), e)

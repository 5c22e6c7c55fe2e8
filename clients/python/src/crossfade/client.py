"""The two clients: :class:`Client` for threaded code, :class:`AsyncClient` for asyncio.

Both keep the sidecar's latest snapshot in memory and answer typed getters from it (see
:class:`crossfade.reader.SettingsReader`), follow ``/v1/watch`` to replace it within milliseconds of
a change, keep serving the last snapshot while the sidecar is away, and send outcomes in batches
(see :mod:`crossfade.outcomes`). They differ only in where the I/O runs: a daemon thread with
blocking httpx, or tasks on the running event loop with ``httpx.AsyncClient``.
"""
import asyncio
import logging
import random
import threading
from typing import Callable, Iterable, Optional

import httpx

from .follow import (OUTCOMES_PATH, SNAPSHOT_PATH, WATCH_PATH, Backoff, SseParser, describe, is_news,
                     read_snapshot, snapshot_headers)
from .outcomes import MAX_OUTCOMES_PER_REQUEST, OutcomeCounts, OutcomeQueue, batch_body
from .reader import SettingsReader

log = logging.getLogger("crossfade")

DEFAULT_URL = "http://127.0.0.1:7070"
"""The sidecar's default read address."""

_JSON = {"Content-Type": "application/json; charset=utf-8"}
_SSE = {"Accept": "text/event-stream"}


class _Options:
    """The options both clients take, checked once; each error names the option."""

    def __init__(self, url, uds, default_unit, connect_timeout, request_timeout, initial_backoff, max_backoff,
                 silence_limit, outcome_capacity, outcome_interval, outcome_attempts, rand):
        if uds is None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
            raise ValueError("url must be an http:// or https:// address, got %r" % (url,))
        for name, value in (("connect_timeout", connect_timeout), ("request_timeout", request_timeout),
                            ("initial_backoff", initial_backoff), ("silence_limit", silence_limit),
                            ("outcome_interval", outcome_interval)):
            if not value > 0:
                raise ValueError("%s must be positive seconds, got %r" % (name, value))
        if outcome_interval > 1:
            raise ValueError("outcome_interval must be at most 1 second (the guard judges on fresh outcomes), got %r"
                             % (outcome_interval,))
        Backoff(initial_backoff, max_backoff)  # checks the pair
        # Over a Unix socket the host only fills the Host header, which the socket does not check.
        self.base_url = "http://crossfade" if uds is not None else url.rstrip("/")
        self.endpoint = "unix:" + uds if uds is not None else self.base_url
        self.uds = uds
        self.default_unit = default_unit
        self.timeout = httpx.Timeout(request_timeout, connect=connect_timeout)
        self.watch_timeout = httpx.Timeout(request_timeout, connect=connect_timeout, read=silence_limit)
        self.request_timeout = request_timeout
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.queue = OutcomeQueue(outcome_capacity, MAX_OUTCOMES_PER_REQUEST, outcome_attempts)
        self.outcome_interval = outcome_interval
        self.rand = rand


class _ClientBase(SettingsReader):
    """What both clients share beyond the getters: outcomes and the answers of the follower."""

    def __init__(self, o: _Options):
        super().__init__(o.default_unit, o.endpoint)
        self._o = o
        self._outcomes = o.queue
        self._streaming = False
        self._backoff = Backoff(o.initial_backoff, o.max_backoff, o.rand)

    # ---- outcomes

    def record_outcome(self, key: str, unit: Optional[str], ok: bool) -> bool:
        """Records whether the work done with ``key``'s value for ``unit`` went well, for the guard.
        Never blocks, never raises: the outcome is queued and sent in a batch within a second. Returns
        False, and counts a drop, when the queue is full, the client is closed, or the key or unit would
        be refused. ``unit`` None or ``""`` means the default unit, else the sidecar's instance id.
        """
        return self._outcomes.record_many((key,), self.unit_or_default(unit), ok) == 1

    def record_request(self, unit: Optional[str], ok: bool, keys: Optional[Iterable[str]] = None) -> int:
        """Records one request's outcome for ``unit`` on every running migration (or on those of
        ``keys`` that are running); what the middlewares call. Returns how many outcomes were queued.
        """
        s = self._snapshot
        if s is None:
            return 0
        running = s.running
        if keys is not None:
            running = tuple(k for k in running if k in keys)
        return self._outcomes.record_keys(running, unit or self._default_unit or s.instance_id, ok)

    def outcomes(self) -> OutcomeCounts:
        """How many outcomes were recorded, sent, dropped and failed so far, and how many wait."""
        return self._outcomes.counts()

    @property
    def is_connected(self) -> bool:
        """True while the client follows the sidecar's change stream."""
        return self._streaming

    @property
    def endpoint(self) -> str:
        """The sidecar this client reads from."""
        return self._o.endpoint

    # ---- the follower's decisions, shared by the thread and the task

    def _fetched(self, status: Optional[int], body: bytes, problem: Optional[str] = None) -> None:
        if status is not None:
            fresh, problem = read_snapshot(status, body, self._snapshot)
            if fresh is not None:
                self._snapshot = fresh
                self._became_ready()
        if problem is not None:
            if problem != self._last_problem and status is not None:
                log.warning("crossfade: %s; keeping the last snapshot", problem)
            self._last_problem = problem

    def _dropped(self, why: str) -> None:
        if self._streaming:
            log.info("crossfade: lost the watch stream of %s (%s); polling until it is back", self._o.endpoint, why)
        self._streaming = False
        self._last_problem = why

    def _opened(self) -> None:
        self._streaming = True
        self._backoff.reset()

    def _became_ready(self) -> None:
        raise NotImplementedError

    def _settle(self, batch, status: Optional[int], problem: str) -> bool:
        n = len(batch)
        settled = self._outcomes.settle(status)
        if settled and not (status is not None and 200 <= status < 300):
            log.warning("crossfade: gave up on %d outcome(s): %s", n, problem)
        return settled


class Client(_ClientBase):
    """Reads settings from the Crossfade sidecar in-process, for threaded code (Flask, workers, scripts).

    ::

        settings = crossfade.Client("http://127.0.0.1:7070")
        settings.ready(timeout=2)                      # optional: wait for the first snapshot
        pool = settings.get_int("db.pool.size", 10, unit=user_id)
        settings.record_outcome("db.pool.size", user_id, ok=True)

    One daemon thread follows the sidecar and another sends outcomes; getters run on the caller's
    thread and never block or raise. ``close()`` stops both threads and sends the last outcomes.

    Options (seconds): ``uds`` a Unix socket path to use instead of ``url``; ``default_unit`` the unit
    of reads without one (else the sidecar's instance id); ``connect_timeout`` 1, ``request_timeout``
    2; ``initial_backoff`` 0.1 and ``max_backoff`` 5 bound the jittered delays between reconnects;
    ``silence_limit`` 45: a watch stream silent that long counts as dropped (three missed
    heartbeats); ``outcome_capacity`` 10 000 queued outcomes at most; ``outcome_interval`` 1 between
    sends (at most 1); ``outcome_attempts`` 3 sends of one batch before it is given up; ``transport``
    an httpx transport (tests).
    """

    def __init__(self, url: str = DEFAULT_URL, *, uds: Optional[str] = None, default_unit: Optional[str] = None,
                 connect_timeout: float = 1.0, request_timeout: float = 2.0, initial_backoff: float = 0.1,
                 max_backoff: float = 5.0, silence_limit: float = 45.0, outcome_capacity: int = 10_000,
                 outcome_interval: float = 1.0, outcome_attempts: int = 3,
                 transport: Optional[httpx.BaseTransport] = None, rand: Callable[[], float] = random.random):
        o = _Options(url, uds, default_unit, connect_timeout, request_timeout, initial_backoff, max_backoff,
                     silence_limit, outcome_capacity, outcome_interval, outcome_attempts, rand)
        super().__init__(o)
        if transport is None and uds is not None:
            transport = httpx.HTTPTransport(uds=uds)
        self._http = httpx.Client(base_url=o.base_url, timeout=o.timeout, transport=transport)
        self._ready = threading.Event()
        self._closed = threading.Event()
        self._wake = threading.Event()
        self._drain = False  # flush() asked for everything, not one batch
        self._stream: Optional[httpx.Response] = None
        self._outcomes.on_batch_ready = self._wake.set
        self._follower = threading.Thread(target=self._follow, name="crossfade-follower", daemon=True)
        self._sender = threading.Thread(target=self._send_outcomes, name="crossfade-outcomes", daemon=True)
        self._follower.start()
        self._sender.start()

    def ready(self, timeout: Optional[float] = None) -> bool:
        """Blocks until the first snapshot is loaded, at most ``timeout`` seconds; False on timeout."""
        return self._ready.wait(timeout)

    def _became_ready(self) -> None:
        self._ready.set()

    # ---- following, on the follower thread

    def _refresh(self) -> None:
        try:
            r = self._http.get(SNAPSHOT_PATH, headers=snapshot_headers(self._snapshot))
            self._fetched(r.status_code, r.content)
        except httpx.HTTPError as e:
            self._fetched(None, b"", describe(e))

    def _follow(self) -> None:
        while not self._closed.is_set():
            # the first load does not wait for the stream: a sidecar that never answers /v1/watch still serves
            self._refresh()
            why = self._watch()
            if self._closed.is_set():
                return
            self._dropped(why)
            self._closed.wait(self._backoff.next())

    def _watch(self) -> str:
        try:
            with self._http.stream("GET", WATCH_PATH, headers=_SSE, timeout=self._o.watch_timeout) as r:
                if r.status_code != 200:
                    return "GET /v1/watch answered %d" % r.status_code
                self._stream = r
                self._opened()
                self._refresh()  # a change published before the stream opened has no event
                parser = SseParser()
                for line in r.iter_lines():
                    event = parser.line(line)
                    if event is not None and is_news(event, self._snapshot):
                        self._refresh()
                return "the watch stream ended"
        except httpx.ReadTimeout:
            return "the watch stream was silent for over %g s" % self._o.watch_timeout.read
        except Exception as e:  # the thread must outlive any failure
            return describe(e)
        finally:
            self._stream = None

    # ---- outcomes, on the sender thread

    def _send_outcomes(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(self._o.outcome_interval)
            self._wake.clear()
            drain, self._drain = self._drain, False
            self._flush(drain)
        self._outcomes.last_try()
        self._flush(drain=True)

    def _flush(self, drain: bool = False) -> None:
        """Sends a batch, then more while full ones wait (``drain``: until the queue is empty)."""
        first = True
        while True:
            if not (first or drain or self._outcomes.full_batch_waits()):
                return
            first = False
            batch = self._outcomes.next_batch()
            if batch is None:
                return
            try:
                r = self._http.post(OUTCOMES_PATH, content=batch_body(batch), headers=_JSON)
                status, problem = r.status_code, "POST /v1/outcomes answered %d: %s" % (r.status_code, r.text[:200])
            except httpx.HTTPError as e:
                status, problem = None, "POST /v1/outcomes failed: " + describe(e)
            if not self._settle(batch, status, problem):
                return

    def flush(self) -> None:
        """Asks the sender to send everything queued now, without waiting for it."""
        self._drain = True
        self._wake.set()

    def close(self) -> None:
        """Stops following the sidecar, sends the queued outcomes (waiting at most about twice the
        request timeout) and stops the client's threads. Getters keep answering from the last
        snapshot; outcomes recorded afterwards are dropped. Idempotent."""
        if self._closed.is_set():
            return
        self._outcomes.close()
        self._closed.set()
        self._wake.set()
        stream = self._stream
        if stream is not None:
            try:
                stream.close()
            except Exception:
                pass
        self._sender.join(self._o.request_timeout * 2 + 1)
        if not self._sender.is_alive():
            self._outcomes.last_try()
            self._flush(drain=True)
        self._outcomes.abandon()
        try:
            self._http.close()
        except Exception:
            pass

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class AsyncClient(_ClientBase):
    """Reads settings from the Crossfade sidecar in-process, for asyncio (FastAPI, Starlette).

    ::

        settings = crossfade.AsyncClient("http://127.0.0.1:7070")
        await settings.start()                  # the ASGI middleware does this on lifespan startup
        await settings.ready(timeout=2)         # optional: wait for the first snapshot
        pool = settings.get_int("db.pool.size", 10, unit=user_id)   # plain call: no I/O, no await
        await settings.aclose()                 # the middleware does this on lifespan shutdown

    The I/O runs as tasks on the event loop that called :meth:`start`, with ``httpx.AsyncClient``;
    nothing here blocks the loop. Getters may be called from any thread; ``record_outcome`` and
    ``record_request`` belong on the loop's thread. Options as :class:`Client`'s.
    """

    def __init__(self, url: str = DEFAULT_URL, *, uds: Optional[str] = None, default_unit: Optional[str] = None,
                 connect_timeout: float = 1.0, request_timeout: float = 2.0, initial_backoff: float = 0.1,
                 max_backoff: float = 5.0, silence_limit: float = 45.0, outcome_capacity: int = 10_000,
                 outcome_interval: float = 1.0, outcome_attempts: int = 3,
                 transport: Optional[httpx.AsyncBaseTransport] = None, rand: Callable[[], float] = random.random):
        o = _Options(url, uds, default_unit, connect_timeout, request_timeout, initial_backoff, max_backoff,
                     silence_limit, outcome_capacity, outcome_interval, outcome_attempts, rand)
        super().__init__(o)
        self._transport = transport
        self._http: Optional[httpx.AsyncClient] = None
        self._tasks = ()
        self._ready: Optional[asyncio.Event] = None
        self._wake: Optional[asyncio.Event] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._closed = False

    @property
    def started(self) -> bool:
        return self._http is not None

    async def start(self) -> None:
        """Starts following the sidecar and sending outcomes on the running loop; returns at once.
        Idempotent; a closed client cannot be started again."""
        if self._http is not None:
            return
        if self._closed:
            raise RuntimeError("this AsyncClient is closed; create a new one")
        transport = self._transport
        if transport is None and self._o.uds is not None:
            transport = httpx.AsyncHTTPTransport(uds=self._o.uds)
        self._loop = asyncio.get_running_loop()
        self._http = httpx.AsyncClient(base_url=self._o.base_url, timeout=self._o.timeout, transport=transport)
        self._ready = asyncio.Event()
        if self._snapshot is not None:
            self._ready.set()
        self._wake = asyncio.Event()
        self._flushing = asyncio.Lock()
        self._outcomes.on_batch_ready = self._wake_sender
        self._tasks = (asyncio.create_task(self._follow(), name="crossfade-follower"),
                       asyncio.create_task(self._send_outcomes(), name="crossfade-outcomes"))

    async def ready(self, timeout: Optional[float] = None) -> bool:
        """Waits until the first snapshot is loaded, at most ``timeout`` seconds; False on timeout.
        Starts the client if it was not started."""
        await self.start()
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def _became_ready(self) -> None:
        if self._ready is not None:
            self._ready.set()

    def _wake_sender(self) -> None:
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        elif loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    # ---- following

    async def _refresh(self) -> None:
        try:
            r = await self._http.get(SNAPSHOT_PATH, headers=snapshot_headers(self._snapshot))
            self._fetched(r.status_code, r.content)
        except httpx.HTTPError as e:
            self._fetched(None, b"", describe(e))

    async def _follow(self) -> None:
        while True:
            await self._refresh()
            why = await self._watch()
            self._dropped(why)
            await asyncio.sleep(self._backoff.next())

    async def _watch(self) -> str:
        try:
            async with self._http.stream("GET", WATCH_PATH, headers=_SSE, timeout=self._o.watch_timeout) as r:
                if r.status_code != 200:
                    return "GET /v1/watch answered %d" % r.status_code
                self._opened()
                await self._refresh()  # a change published before the stream opened has no event
                parser = SseParser()
                async for line in r.aiter_lines():
                    event = parser.line(line)
                    if event is not None and is_news(event, self._snapshot):
                        await self._refresh()
                return "the watch stream ended"
        except httpx.ReadTimeout:
            return "the watch stream was silent for over %g s" % self._o.watch_timeout.read
        except asyncio.CancelledError:
            raise
        except Exception as e:  # the task must outlive any failure
            return describe(e)

    # ---- outcomes

    async def _send_outcomes(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self._o.outcome_interval)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            await self._flush()

    async def _flush(self, drain: bool = False) -> None:
        # one sender at a time: the pending batch is shared, two flushes would post it twice
        async with self._flushing:
            await self._flush_now(drain)

    async def _flush_now(self, drain: bool) -> None:
        """Sends a batch, then more while full ones wait (``drain``: until the queue is empty)."""
        first = True
        while True:
            if not (first or drain or self._outcomes.full_batch_waits()):
                return
            first = False
            batch = self._outcomes.next_batch()
            if batch is None:
                return
            try:
                r = await self._http.post(OUTCOMES_PATH, content=batch_body(batch), headers=_JSON)
                status, problem = r.status_code, "POST /v1/outcomes answered %d: %s" % (r.status_code, r.text[:200])
            except httpx.HTTPError as e:
                status, problem = None, "POST /v1/outcomes failed: " + describe(e)
            if not self._settle(batch, status, problem):
                return

    async def flush(self) -> None:
        """Sends what is queued now and waits for it (a batch that fails stays queued for the next try)."""
        if self._http is not None:
            await self._flush(drain=True)

    async def aclose(self) -> None:
        """Stops following the sidecar, sends the queued outcomes (waiting at most about twice the
        request timeout) and closes the HTTP client. Getters keep answering from the last snapshot;
        outcomes recorded afterwards are dropped. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._outcomes.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except BaseException:
                pass
        self._streaming = False
        if self._http is not None:
            self._outcomes.last_try()
            try:
                await asyncio.wait_for(self._flush(drain=True), self._o.request_timeout * 2 + 1)
            except asyncio.TimeoutError:
                pass
            await self._http.aclose()
        self._outcomes.abandon()

    async def __aenter__(self) -> "AsyncClient":
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

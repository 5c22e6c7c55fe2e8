"""Outcomes for the guard: a bounded in-memory queue and the batches sent from it.

Recording only appends to the queue, under a lock held for a few instructions; a full queue drops
the outcome and counts it, it never blocks. A sender (a daemon thread for :class:`crossfade.Client`,
an asyncio task for :class:`crossfade.AsyncClient`) takes batches of at most 1000 and posts them to
``POST /v1/outcomes`` in the per-unit form ``{"outcomes": [{"key", "unit", "ok"}]}``, every
``interval`` seconds (at most one second), sooner when a full batch waits, and once more on close.

What can be lost, and where it is counted: an outcome recorded while the queue is full, the client
is closed, or whose key or unit the sidecar would refuse (``dropped``); a batch the sidecar refuses
with a 4xx other than 408/429, or that still fails after ``max_attempts`` sends (``failed``); what is
still queued when close gives up waiting (``failed``).
"""
import re
import threading
from collections import deque
from typing import Callable, Iterable, List, NamedTuple, Optional, Tuple

from json.encoder import encode_basestring as _quoted  # a JSON string literal, not ASCII-escaped

from .snapshot import MAX_UNIT_BYTES

MAX_OUTCOMES_PER_REQUEST = 1000
"""Most outcomes the sidecar takes in one request."""

MAX_BODY_BYTES = 64 * 1024
"""Largest request body the sidecar takes; batches are cut to stay under it."""

_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,199}\Z")


class OutcomeCounts(NamedTuple):
    """How many outcomes were recorded, sent, dropped and failed so far, and how many wait."""
    recorded: int
    sent: int
    dropped: int
    failed: int
    queued: int


class OutcomeQueue:
    """The bounded queue and the state of the batch being sent. ``record`` is safe on any thread;
    ``next_batch`` and ``settle`` belong to the one sender.
    """

    def __init__(self, capacity: int = 10_000, batch_size: int = MAX_OUTCOMES_PER_REQUEST, max_attempts: int = 3):
        if capacity < 1:
            raise ValueError("outcome queue capacity must be at least 1, got %r" % capacity)
        if not 1 <= batch_size <= MAX_OUTCOMES_PER_REQUEST:
            raise ValueError("batch size must be 1 to %d, got %r" % (MAX_OUTCOMES_PER_REQUEST, batch_size))
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1, got %r" % max_attempts)
        self.capacity = capacity
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self._queue = deque()  # (keys, unit, ok): one entry per recorded request
        self._size = 0  # outcomes in the queue
        self._lock = threading.Lock()
        self._recorded = self._sent = self._dropped = self._failed = 0
        self._closed = False
        self._pending: Optional[List[Tuple[str, str, bool]]] = None
        self._attempts = 0
        self.on_batch_ready: Optional[Callable[[], None]] = None
        """Told (on the recording thread) when a full batch waits, so the sender need not wait its interval."""

    def record(self, key: str, unit: str, ok: bool) -> bool:
        """Queues one outcome without blocking; False (and a drop counted) when it cannot be kept."""
        return self.record_many((key,), unit, ok) == 1

    def record_many(self, keys: Iterable[str], unit: str, ok: bool) -> int:
        """Queues one outcome per key for ``unit``; returns how many were kept (the rest are counted dropped)."""
        keys = tuple(keys)
        valid = tuple(k for k in keys if isinstance(k, str) and _KEY.match(k))
        if len(valid) < len(keys):
            with self._lock:
                self._recorded += len(keys) - len(valid)
                self._dropped += len(keys) - len(valid)
        return self.record_keys(valid, unit, ok)

    def record_keys(self, keys: Tuple[str, ...], unit: str, ok: bool) -> int:
        """As :meth:`record_many` for keys known to be valid (a snapshot's): the request path's one
        entry per request, whatever the number of migrations."""
        n = len(keys)
        if not n:
            return 0
        bad = not _unit_ok(unit)
        with self._lock:
            self._recorded += n
            room = self.capacity - self._size
            if bad or self._closed or room <= 0:
                self._dropped += n
                return 0
            if n > room:
                self._dropped += n - room
                keys, n = keys[:room], room
            self._queue.append((keys, unit, ok))
            self._size += n
            full = self._size >= self.batch_size
        if full and self.on_batch_ready is not None:
            self.on_batch_ready()
        return n

    def next_batch(self) -> Optional[List[Tuple[str, str, bool]]]:
        """The batch to send now: the one still pending after a failed send, else up to ``batch_size``
        fresh outcomes (and under the sidecar's body limit); None when nothing waits."""
        if self._pending is None:
            with self._lock:
                q = self._queue
                if not q:
                    return None
                batch, size = [], 16
                while q and len(batch) < self.batch_size:
                    keys, unit, ok = q.popleft()
                    per_key = len(_quoted(unit).encode("utf-8")) + 30  # {"key":"","unit":,"ok":false},
                    for i, key in enumerate(keys):
                        size += len(key) + per_key
                        if len(batch) >= self.batch_size or (size > MAX_BODY_BYTES and batch):
                            q.appendleft((keys[i:], unit, ok))
                            break
                        batch.append((key, unit, ok))
                    else:
                        continue
                    break
                self._size -= len(batch)
                self._pending = batch
            self._attempts = 0
        return self._pending

    def full_batch_waits(self) -> bool:
        """True when a whole batch is queued: a periodic flush sends the next batch only then, so that
        what arrives while a batch is on its way waits for the next period instead of leaving in a
        stream of tiny batches."""
        return self._size >= self.batch_size

    def settle(self, status: Optional[int]) -> bool:
        """Records how the send of the pending batch went (``status`` None: no answer). Returns True when
        the batch is settled (sent, refused, or out of attempts) and the next may go; False when it is
        kept for the next flush because the failure may pass (no answer, 5xx, 408, 429)."""
        batch = self._pending
        if batch is None:
            return True
        self._attempts += 1
        if status is not None and 200 <= status < 300:
            with self._lock:
                self._sent += len(batch)
            self._pending = None
            return True
        may_pass = status is None or status >= 500 or status in (408, 429)
        if may_pass and self._attempts < self.max_attempts:
            return False
        with self._lock:
            self._failed += len(batch)
        self._pending = None
        return True

    def close(self) -> None:
        """Stops accepting outcomes; what is queued can still be sent."""
        with self._lock:
            self._closed = True

    def last_try(self) -> None:
        """Before the final flush: a batch already failing gets one more send, not ``max_attempts``."""
        if self._pending is not None:
            self._attempts = max(self._attempts, self.max_attempts - 1)

    def abandon(self) -> int:
        """Counts everything unsent as failed (the sidecar was not reached in time); returns how many."""
        with self._lock:
            n = self._size + (len(self._pending) if self._pending else 0)
            self._queue.clear()
            self._size = 0
            self._pending = None
            self._failed += n
        return n

    def counts(self) -> OutcomeCounts:
        with self._lock:
            pending = len(self._pending) if self._pending else 0
            return OutcomeCounts(self._recorded, self._sent, self._dropped, self._failed, self._size + pending)


def _unit_ok(unit) -> bool:
    """A unit the sidecar takes: a non-empty string of at most 256 bytes of valid UTF-8."""
    if not unit or type(unit) is not str:
        return False
    if unit.isascii():
        return len(unit) <= MAX_UNIT_BYTES
    try:
        return len(unit.encode("utf-8")) <= MAX_UNIT_BYTES
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 for it, the whole batch would be refused
        return False


def batch_body(batch: List[Tuple[str, str, bool]]) -> bytes:
    """The JSON body of one ``POST /v1/outcomes`` in the per-unit form. Written directly rather than
    through dicts and ``json.dumps``: a sender posts thousands of outcomes a second. Keys need no
    escaping (the key rule allows none of JSON's special characters); units are escaped."""
    return ('{"outcomes":[' + ",".join(['{"key":"%s","unit":%s,"ok":%s}' % (k, _quoted(u), "true" if ok else "false")
                                          for k, u, ok in batch]) + "]}").encode("utf-8")

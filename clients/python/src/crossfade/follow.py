"""What both clients do to follow the sidecar, apart from the I/O: the Server-Sent Events parser,
the retry backoff, and the decisions on each answer. :class:`crossfade.Client` runs them on a
daemon thread with blocking httpx, :class:`crossfade.AsyncClient` on an asyncio task.

The protocol, as the Java client's ``SnapshotFollower``: read ``GET /v1/snapshot`` (with
``If-None-Match: "<version>"`` once one is loaded), open ``GET /v1/watch``, read the snapshot again
once the stream is open (a change published before it opened has no event), and again on every
``change`` event naming another version. When the stream cannot be had or drops, wait a jittered,
exponentially growing delay, poll the snapshot, and try the stream again. A stream silent for
longer than ``silence_limit`` (the sidecar heartbeats every 15 s) counts as dropped, so a half-open
connection cannot leave the client deaf.
"""
import json
import logging
import random
from typing import Callable, Iterator, List, Optional, Tuple

from .snapshot import Snapshot, SnapshotError

log = logging.getLogger("crossfade")

SNAPSHOT_PATH = "/v1/snapshot"
WATCH_PATH = "/v1/watch"
OUTCOMES_PATH = "/v1/outcomes"


class SseParser:
    """Turns lines of a Server-Sent Events stream into ``(type, data)`` events, as the HTML standard's
    parsing rules say: fields accumulate until an empty line dispatches them; ``:`` lines are comments
    (the sidecar's heartbeat). Not thread-safe: feed it from one stream.
    """

    __slots__ = ("_type", "_data")

    def __init__(self):
        self._type = ""
        self._data: Optional[List[str]] = None

    def line(self, line: str) -> Optional[Tuple[str, str]]:
        """Feeds one line (a trailing CR/LF is ignored: older httpx keeps it); returns the event it
        completes, if any."""
        line = line.rstrip("\r\n")
        if not line:
            data, kind = self._data, self._type
            self._data, self._type = None, ""
            if data is None:
                return None
            return kind or "message", "\n".join(data)
        if line[0] == ":":
            return None
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._type = value
        elif field == "data":
            if self._data is None:
                self._data = [value]
            else:
                self._data.append(value)
        return None  # id, retry and unknown fields are not used

    def feed(self, lines) -> Iterator[Tuple[str, str]]:
        """The events of an iterable of lines."""
        for line in lines:
            event = self.line(line)
            if event is not None:
                yield event


class Backoff:
    """Delays between retries: exponential from ``initial``, capped at ``maximum``, with "equal jitter"
    (each delay drawn uniformly from [d/2, d] for the current step d) so that many clients that lost
    the same sidecar do not all come back at the same moment. Not thread-safe: one owner.
    """

    def __init__(self, initial: float, maximum: float, rand: Callable[[], float] = random.random):
        if initial <= 0:
            raise ValueError("initial backoff must be positive, got %r" % initial)
        if maximum < initial:
            raise ValueError("max backoff %r is below the initial %r" % (maximum, initial))
        self._initial = initial
        self._max = maximum
        self._rand = rand
        self._step = initial

    def next(self) -> float:
        """The next delay in seconds; doubles the step (up to the maximum) for the one after."""
        current = self._step
        self._step = min(self._max, current * 2)
        return current / 2 + self._rand() * (current / 2)

    def reset(self) -> None:
        """Starts again from the initial delay, after a success."""
        self._step = self._initial


def snapshot_headers(current: Optional[Snapshot]) -> dict:
    """Headers of a snapshot request: a conditional GET once a snapshot is loaded."""
    return {} if current is None else {"If-None-Match": '"%d"' % current.version}


def read_snapshot(status: int, body: bytes, current: Optional[Snapshot]) -> Tuple[Optional[Snapshot], Optional[str]]:
    """What a ``/v1/snapshot`` answer means: ``(a snapshot to serve or None, a problem or None)``.

    Any other version is news, lower ones included: a sidecar whose state was wiped starts over.
    """
    if status == 304:
        return None, None
    if status != 200:
        return None, "GET /v1/snapshot answered %d" % status
    try:
        fresh = Snapshot.parse(body)
    except SnapshotError as e:
        return None, "GET /v1/snapshot answered a document this client cannot read: %s" % e
    if current is not None and current.version == fresh.version:
        return None, None
    return fresh, None


def is_news(event: Tuple[str, str], current: Optional[Snapshot]) -> bool:
    """True when a watch event asks for a re-read (a change to a version other than the one served)."""
    kind, data = event
    if kind != "change":
        return False
    try:
        version = json.loads(data).get("version")
    except (ValueError, AttributeError):
        return True  # an event we cannot read still means "something changed"
    return current is None or version != current.version


def describe(error: BaseException) -> str:
    """A short sentence for an I/O failure."""
    message = str(error)
    return type(error).__name__ + (": " + message if message else "")

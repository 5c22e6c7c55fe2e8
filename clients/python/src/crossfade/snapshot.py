"""The sidecar's ``GET /v1/snapshot`` document, read once per version and resolved locally.

The document (``SnapshotDocument`` on the Java side) is::

    {"version": 1795518438688, "instanceId": "checkout-7f9c",
     "settings": {"db.pool.size": 10},
     "migrations": {"db.pool.size": {"id": "05af51ed6bb37251", "from": 10, "to": 20,
                                     "salt": "db.pool.size", "percent": 5, "state": "running"}}}

``percent`` is the effective percent (0 while rolled back, 100 once completed) with at most three
decimals, so resolving a unit needs only :mod:`crossfade.bucketing` and that number. Unknown fields
are ignored, so a newer sidecar can add some.

While a migration's cohorts are in effect it also has ``"exclude"`` and ``"include"``: lists of
``{"cohort": name or None, "units": [...], "prefixes": [...]}`` (``"operator": true`` on the
operator's list). The order is the sidecar's (docs/bucketing.md): a unit listed or prefixed in any
exclude entry reads old, else one in any include entry reads new, else the percent decides.
"""
import bisect
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, NamedTuple, Optional, Tuple

from .bucketing import BUCKETS, bucket

_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,199}\Z")
_STATES = frozenset(("running", "paused", "halted", "rolled_back", "completed"))
_BLENDING = frozenset(("running", "paused", "halted"))

MAX_UNIT_BYTES = 256
"""Longest unit the sidecar accepts on reads and outcomes, in UTF-8 bytes."""


class SnapshotError(ValueError):
    """The sidecar answered a snapshot document this client cannot read; the message names the field."""


class Details(NamedTuple):
    """The full answer to one read, shaped like the read API's ``GET /v1/settings/{key}``.

    ``value`` is the setting's value for the unit, or the caller's default when ``error_code`` is set.
    ``variant`` is ``"static"`` without a migration, else ``"old"`` or ``"new"``; None for a default.
    ``reason`` is OFREP's: ``"TARGETING_MATCH"`` when a cohort (include or exclude) placed the unit,
    ``"SPLIT"`` while a migration splits units between two values,
    ``"STATIC"`` otherwise, ``"ERROR"`` when the value is the caller's default.
    ``migration`` is ``{"id", "percent", "state"}`` as in the read API, or None.
    ``version`` is the snapshot's version, 0 before the first snapshot.
    ``error_code`` is None, ``"NOT_READY"`` (no snapshot yet), ``"SETTING_NOT_FOUND"``,
    ``"TYPE_MISMATCH"`` or ``"GENERAL"``, as the Java client's ``ErrorCode``; ``error_message`` says why.
    """
    key: str
    value: Any
    variant: Optional[str]
    reason: str
    migration: Optional[Dict[str, Any]]
    version: int
    error_code: Optional[str] = None
    error_message: Optional[str] = None

    @property
    def fallback(self) -> bool:
        """True when ``value`` is the caller's default rather than the setting's value."""
        return self.error_code is not None


class Placement(NamedTuple):
    """Why a unit is on its side: ``kind`` is ``"excluded"``, ``"included"`` or ``"percent"``; ``cohort``
    names the cohort that placed it (None for the percent, inline units and an operator's list)."""
    kind: str
    cohort: Optional[str]


_PERCENT = Placement("percent", None)


class Targeting:
    """A migration's cohorts compiled for reads, as the sidecar's ``Targeting``: one dict lookup and a
    binary search per sorted, prefix-free prefix list. Immutable; safe to share between threads."""

    __slots__ = ("units", "out_prefixes", "out_placements", "in_prefixes", "in_placements")

    def __init__(self, exclude, include):
        units: Dict[str, Placement] = {}
        for name, us, _ in include:
            p = Placement("included", name)
            for u in us:
                units.setdefault(u, p)
        for name, us, _ in exclude:
            p = Placement("excluded", name)
            for u in us:
                old = units.get(u)
                if old is None or old.kind != "excluded":
                    units[u] = p
        self.units = units
        self.out_prefixes, self.out_placements = _prefix_free(exclude, "excluded")
        self.in_prefixes, self.in_placements = _prefix_free(include, "included")

    def place(self, unit: str) -> Optional[Placement]:
        """The cohort placement of ``unit``, or None when the percent decides."""
        listed = self.units.get(unit)
        if listed is not None and listed.kind == "excluded":
            return listed
        p = _match(self.out_prefixes, self.out_placements, unit)
        if p is not None:
            return p
        if listed is not None:
            return listed
        return _match(self.in_prefixes, self.in_placements, unit)


def _prefix_free(entries, kind):
    first: Dict[str, Placement] = {}
    for name, _, prefixes in entries:
        for prefix in prefixes:
            first.setdefault(prefix, Placement(kind, name))
    keys, values, last = [], [], None
    for prefix in sorted(first):
        if last is None or not prefix.startswith(last):
            keys.append(prefix)
            values.append(first[prefix])
            last = prefix
    return keys, values


def _match(prefixes, placements, unit):
    if not prefixes:
        return None
    i = bisect.bisect_right(prefixes, unit) - 1
    return placements[i] if i >= 0 and unit.startswith(prefixes[i]) else None


def _cohorts(m: dict, field: str, where: str):
    entries = m.get(field)
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise SnapshotError("snapshot document: %s.%s must be an array" % (where, field))
    out = []
    for i, e in enumerate(entries):
        at = "%s.%s[%d]" % (where, field, i)
        if not isinstance(e, dict):
            raise SnapshotError("snapshot document: %s must be an object" % at)
        name = e.get("cohort")
        if name is not None and not isinstance(name, str):
            raise SnapshotError("snapshot document: %s.cohort must be a string or null" % at)
        lists = []
        for f in ("units", "prefixes"):
            v = e.get(f) or []
            if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
                raise SnapshotError("snapshot document: %s.%s must hold non-empty strings" % (at, f))
            lists.append(v)
        out.append((None if e.get("operator") else name, lists[0], lists[1]))
    return out


class Migration(NamedTuple):
    """A migration as one snapshot states it; ``percent`` is in thousandths (5 % is 5000)."""
    key: str
    id: str
    old: Any
    new: Any
    salt: str
    percent: int
    state: str
    targeting: Optional[Targeting] = None

    def placement(self, unit: str) -> Placement:
        """How ``unit`` is placed: by a cohort (``excluded``/``included``) or by the percent."""
        if self.targeting is not None:
            p = self.targeting.place(unit)
            if p is not None:
                return p
        return _PERCENT

    def variant(self, unit: str, buckets: Optional[Dict[str, int]] = None) -> str:
        """``"new"`` or ``"old"`` for ``unit``: excluded old, else included new, else by the bucketing
        rule at the effective percent."""
        if self.targeting is not None:
            placed = self.targeting.place(unit)
            if placed is not None:
                return "old" if placed.kind == "excluded" else "new"
        p = self.percent
        if p <= 0:
            return "old"
        if p >= BUCKETS:
            return "new"
        if buckets is None:
            return "new" if bucket(self.salt, unit) < p else "old"
        return "new" if cached_bucket(buckets, self.salt, unit) < p else "old"

    def view(self) -> Dict[str, Any]:
        """``{"id", "percent", "state"}`` as the read API shows it (percent as a decimal number)."""
        return {"id": self.id, "percent": _percent_number(self.percent), "state": self.state}

    def reason(self, unit: Optional[str] = None) -> str:
        """OFREP's reason: TARGETING_MATCH when a cohort placed ``unit``, else SPLIT while units are
        split between two values, else STATIC."""
        if unit is not None and self.targeting is not None and self.targeting.place(unit) is not None:
            return "TARGETING_MATCH"
        return "SPLIT" if self.state in _BLENDING and 0 < self.percent < BUCKETS else "STATIC"


BUCKET_CACHE_SIZE = 65_536
"""Buckets remembered per client; the hash is the costly part of a read, and units repeat."""


def cached_bucket(buckets: Dict[str, int], salt: str, unit: str) -> int:
    """``bucket(salt, unit)``, remembered in ``buckets`` (salt and unit decide it, the percent does not).

    The dict is emptied when it reaches :data:`BUCKET_CACHE_SIZE`; a lost entry only costs one more
    hash. Safe without a lock: a race at worst hashes twice or empties the dict once more.
    """
    k = salt + unit
    b = buckets.get(k)
    if b is None:
        if len(buckets) >= BUCKET_CACHE_SIZE:
            buckets.clear()
        b = buckets[k] = bucket(salt, unit)
    return b


class Snapshot:
    """One version of every setting and migration; immutable once read. Safe to share between threads."""

    __slots__ = ("version", "instance_id", "settings", "migrations", "running")

    def __init__(self, version: int, instance_id: str, settings: Dict[str, Any], migrations: Dict[str, Migration]):
        self.version = version
        self.instance_id = instance_id
        self.settings = settings
        self.migrations = migrations
        self.running: Tuple[str, ...] = tuple(sorted(k for k, m in migrations.items() if m.state == "running"))
        """Keys of the running migrations: those whose outcomes the guard counts."""

    @staticmethod
    def parse(body: bytes) -> "Snapshot":
        """Reads a ``/v1/snapshot`` answer; raises :class:`SnapshotError` naming what is wrong."""
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError) as e:
            raise SnapshotError("snapshot document: not JSON (%s)" % e) from None
        return Snapshot.from_json(doc)

    @staticmethod
    def from_json(doc: Any) -> "Snapshot":
        """Reads a parsed snapshot document; raises :class:`SnapshotError` naming the field that is wrong."""
        if not isinstance(doc, dict):
            raise SnapshotError("snapshot document: expected a JSON object")
        version = doc.get("version")
        if type(version) is not int:
            raise SnapshotError("snapshot document: 'version' must be an integer, found %s" % _kind(version))
        instance_id = _text(doc, "instanceId", "instanceId")
        settings = _object(doc, "settings")
        for key, value in settings.items():
            _check_key(key, "settings")
            if value is None:
                raise SnapshotError("snapshot document: settings.%s is null" % key)
        migrations = {}
        for key, m in _object(doc, "migrations").items():
            where = "migrations." + key
            _check_key(key, "migrations")
            if key not in settings:
                raise SnapshotError("snapshot document: %s migrates a setting that is not in 'settings'" % where)
            if not isinstance(m, dict):
                raise SnapshotError("snapshot document: %s must be an object" % where)
            state = _text(m, "state", where + ".state")
            if state not in _STATES:
                raise SnapshotError("snapshot document: %s.state is not a migration state: %r" % (where, state))
            for field in ("from", "to"):
                if m.get(field) is None:
                    raise SnapshotError("snapshot document: %s.%s is missing" % (where, field))
            exclude, include = _cohorts(m, "exclude", where), _cohorts(m, "include", where)
            targeting = Targeting(exclude, include) if exclude or include else None
            migrations[key] = Migration(key, _text(m, "id", where + ".id"), m["from"], m["to"],
                                        _text(m, "salt", where + ".salt"),
                                        parse_percent(m.get("percent"), where + ".percent"), state, targeting)
        return Snapshot(version, instance_id, dict(settings), migrations)

    def resolve(self, key: str, unit: str, buckets: Optional[Dict[str, int]] = None):
        """``(value, variant, migration)`` of ``key`` for ``unit``, or None for an unknown key."""
        migration = self.migrations.get(key)
        if migration is None:
            if key not in self.settings:
                return None
            return self.settings[key], "static", None
        variant = migration.variant(unit, buckets)
        return (migration.new if variant == "new" else migration.old), variant, migration


def parse_percent(value: Any, where: str) -> int:
    """A decimal percent (``5``, ``12.345``) as thousandths; exact, as the sidecar's ``Percent``."""
    if type(value) not in (int, float):
        raise SnapshotError("snapshot document: %s must be a number, found %s" % (where, _kind(value)))
    try:
        scaled = Decimal(repr(value)) * 1000
    except InvalidOperation:
        raise SnapshotError("snapshot document: %s must be a number, found %r" % (where, value)) from None
    if scaled != scaled.to_integral_value() or not 0 <= scaled <= BUCKETS:
        raise SnapshotError("snapshot document: %s must be 0 to 100 in 0.001 steps, found %r" % (where, value))
    return int(scaled)


def _percent_number(thousandths: int):
    return thousandths // 1000 if thousandths % 1000 == 0 else thousandths / 1000


def _check_key(key: str, where: str) -> None:
    if not _KEY.match(key):
        raise SnapshotError("snapshot document: %s has an invalid key %r" % (where, key))


def _object(doc: dict, field: str) -> dict:
    node = doc.get(field)
    if not isinstance(node, dict):
        raise SnapshotError("snapshot document: '%s' must be an object, found %s" % (field, _kind(node)))
    return node


def _text(doc: dict, field: str, where: str) -> str:
    node = doc.get(field)
    if not isinstance(node, str):
        raise SnapshotError("snapshot document: '%s' must be a string, found %s" % (where, _kind(node)))
    return node


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number (%r)" % value
    if isinstance(value, str):
        return "a string (%r)" % value[:40]
    if isinstance(value, list):
        return "an array"
    return "an object"


def describe(value: Any) -> str:
    """A few words saying what a JSON value is, for messages (``a string ('ten')``)."""
    return _kind(value)

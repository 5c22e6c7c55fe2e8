"""Typed getters over the latest snapshot: what :class:`crossfade.Client` and
:class:`crossfade.AsyncClient` share (they differ only in how they fetch snapshots).
"""
import math
from typing import Any, Callable, Optional

from .snapshot import Details, Snapshot, describe


def _as_int(v):
    t = type(v)
    if t is int:
        return v, True
    if t is float and math.isfinite(v) and v.is_integer():
        return int(v), True
    return None, False


def _as_float(v):
    t = type(v)
    if t is float or t is int:
        return float(v), True
    return None, False


def _as_str(v):
    return (v, True) if type(v) is str else (None, False)


def _as_bool(v):
    return (v, True) if type(v) is bool else (None, False)


def _as_json(v):
    return v, True


_EXPECTED = {_as_int: "a whole number", _as_float: "a number", _as_str: "a string", _as_bool: "true or false",
             _as_json: "any JSON value"}


class SettingsReader:
    """Reads settings from the latest snapshot; getters never block, never do I/O and never raise.

    Before the first snapshot, for an unknown key, or for a value of another type, a getter returns
    the caller's default; :meth:`details` says which. A read without a unit (None or ``""``) uses
    ``default_unit``, else the sidecar's instance id, exactly as a read over HTTP without a unit.

    The rules are the Java client's: ``get_int`` takes a JSON number without a fractional part;
    ``get_float`` any JSON number; ``get_bool`` only ``true``/``false``; ``get_str`` only a JSON
    string; ``get_json`` any value. JSON values are shared between callers: do not mutate them.
    """

    def __init__(self, default_unit: Optional[str], endpoint: str):
        if default_unit is not None and not default_unit:
            raise ValueError("default_unit must be a non-empty string or None, got ''")
        self._default_unit = default_unit
        self._endpoint = endpoint
        self._snapshot: Optional[Snapshot] = None
        self._buckets = {}
        self._last_problem = "not connected yet"

    # ---- getters: (key, default, unit=None), as in OpenFeature

    def get_int(self, key: str, default: int, unit: Optional[str] = None) -> int:
        """The setting as an int (a JSON number without a fractional part), else ``default``."""
        s = self._snapshot
        if s is None:
            return default
        if key in s.migrations:
            r = s.resolve(key, unit or self._default_unit or s.instance_id, self._buckets)
            v = r[0]
        else:
            v = s.settings.get(key, default)
        if type(v) is int:
            return v
        v, ok = _as_int(v)
        return v if ok else default

    def get_float(self, key: str, default: float, unit: Optional[str] = None) -> float:
        """The setting as a float (any JSON number), else ``default``."""
        return self._value(key, default, unit, _as_float)

    def get_str(self, key: str, default: str, unit: Optional[str] = None) -> str:
        """The setting as a str (a JSON string only, not a number), else ``default``."""
        s = self._snapshot
        if s is None:
            return default
        if key in s.migrations:
            v = s.resolve(key, unit or self._default_unit or s.instance_id, self._buckets)[0]
        else:
            v = s.settings.get(key, default)
        return v if type(v) is str else default

    def get_bool(self, key: str, default: bool, unit: Optional[str] = None) -> bool:
        """The setting as a bool (JSON ``true`` or ``false`` only), else ``default``."""
        s = self._snapshot
        if s is None:
            return default
        if key in s.migrations:
            v = s.resolve(key, unit or self._default_unit or s.instance_id, self._buckets)[0]
        else:
            v = s.settings.get(key, default)
        return v if type(v) is bool else default

    def get_json(self, key: str, default: Any = None, unit: Optional[str] = None) -> Any:
        """The setting's JSON value (dict, list, str, number, bool), else ``default``. Do not mutate it."""
        s = self._snapshot
        if s is None:
            return default
        if key in s.migrations:
            return s.resolve(key, unit or self._default_unit or s.instance_id, self._buckets)[0]
        return s.settings.get(key, default)

    def _value(self, key: str, default: Any, unit: Optional[str], convert: Callable) -> Any:
        s = self._snapshot
        if s is None:
            return default
        r = s.resolve(key, unit or self._default_unit or s.instance_id, self._buckets)
        if r is None:
            return default
        v, ok = convert(r[0])
        return v if ok else default

    def details(self, key: str, unit: Optional[str] = None, default: Any = None,
                as_type: Optional[type] = None) -> Details:
        """The value ``unit`` reads for ``key`` with its variant, reason, migration and version, as the
        read API answers it; with ``as_type`` (int, float, str, bool) converted as that getter would,
        and the caller's ``default`` (with ``error_code`` and ``error_message``) when there is none.
        """
        s = self._snapshot
        if s is None:
            return Details(key, default, None, "ERROR", None, 0, "NOT_READY",
                           "no settings loaded yet from %s (%s)" % (self._endpoint, self._last_problem))
        try:
            unit = unit or self._default_unit or s.instance_id
            r = s.resolve(key, unit, self._buckets)
            if r is None:
                return Details(key, default, None, "ERROR", None, s.version, "SETTING_NOT_FOUND",
                               "no setting named %r in snapshot %d" % (key, s.version))
            value, variant, migration = r
            if as_type is not None:
                convert = _CONVERTERS.get(as_type)
                if convert is None:
                    return Details(key, default, None, "ERROR", None, s.version, "GENERAL",
                                   "as_type must be int, float, str or bool, got %r" % (as_type,))
                converted, ok = convert(value)
                if not ok:
                    return Details(key, default, None, "ERROR", None, s.version, "TYPE_MISMATCH",
                                   "%s: expected %s, found %s" % (key, _EXPECTED[convert], describe(value)))
                value = converted
            if migration is None:
                return Details(key, value, variant, "STATIC", None, s.version)
            return Details(key, value, variant, migration.reason(unit), migration.view(), s.version)
        except Exception as e:  # never raise to the caller: a getter's contract
            return Details(key, default, None, "ERROR", None, s.version, "GENERAL", repr(e))

    # ---- state

    @property
    def snapshot(self) -> Optional[Snapshot]:
        """The snapshot being served, None before the first one."""
        return self._snapshot

    @property
    def version(self) -> int:
        """The version of the snapshot being served, 0 before the first one."""
        s = self._snapshot
        return 0 if s is None else s.version

    @property
    def is_ready(self) -> bool:
        """True once a snapshot is loaded (and for ever after: it keeps serving while the sidecar is away)."""
        return self._snapshot is not None

    @property
    def last_problem(self) -> str:
        """Why the last attempt to reach the sidecar failed, for diagnostics."""
        return self._last_problem

    @property
    def default_unit(self) -> Optional[str]:
        return self._default_unit

    def unit_or_default(self, unit: Optional[str]) -> Optional[str]:
        """``unit``, else the default unit, else the sidecar's instance id (None before a snapshot)."""
        if unit:
            return unit
        if self._default_unit:
            return self._default_unit
        s = self._snapshot
        return None if s is None else s.instance_id

    def for_unit(self, unit: Optional[str]) -> "SettingsView":
        """A view whose getters read as ``unit`` (the request's user, tenant ...)."""
        return SettingsView(self, unit)


_CONVERTERS = {int: _as_int, float: _as_float, str: _as_str, bool: _as_bool}


class SettingsView:
    """The settings as one unit reads them: what the middlewares put on each request.

    ``view.get_int(key, default)`` is ``reader.get_int(key, default, view.unit)``.
    """

    __slots__ = ("reader", "unit")

    def __init__(self, reader: SettingsReader, unit: Optional[str]):
        self.reader = reader
        self.unit = unit

    def get_int(self, key: str, default: int) -> int:
        return self.reader.get_int(key, default, self.unit)

    def get_float(self, key: str, default: float) -> float:
        return self.reader.get_float(key, default, self.unit)

    def get_str(self, key: str, default: str) -> str:
        return self.reader.get_str(key, default, self.unit)

    def get_bool(self, key: str, default: bool) -> bool:
        return self.reader.get_bool(key, default, self.unit)

    def get_json(self, key: str, default: Any = None) -> Any:
        return self.reader.get_json(key, default, self.unit)

    def details(self, key: str, default: Any = None, as_type: Optional[type] = None) -> Details:
        return self.reader.details(key, self.unit, default, as_type)

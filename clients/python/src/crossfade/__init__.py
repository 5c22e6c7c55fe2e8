"""Crossfade's Python client: settings read in-process from the sidecar's snapshot, and outcomes
reported in batches for its guard.

- :class:`Client` for threaded code, :class:`AsyncClient` for asyncio; both offer ``get_int``,
  ``get_float``, ``get_str``, ``get_bool``, ``get_json`` and ``details``.
- :mod:`crossfade.asgi` and :mod:`crossfade.wsgi`: middlewares for FastAPI/Starlette and Flask.
- :mod:`crossfade.bucketing`: the rule that puts a unit on one side of a migration.

See docs/python.md in the Crossfade repository.
"""
from .client import DEFAULT_URL, AsyncClient, Client
from .outcomes import OutcomeCounts
from .reader import SettingsView
from .snapshot import Details, SnapshotError

__all__ = ["AsyncClient", "Client", "DEFAULT_URL", "Details", "OutcomeCounts", "SettingsView", "SnapshotError"]
__version__ = "0.1.0"

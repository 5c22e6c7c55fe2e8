"""Snapshot documents for the unit tests, as the sidecar writes them."""
import json


def document(version=7, percent=5, state="running", **extra_settings):
    settings = {"db.pool.size": 10, "payments.timeout_ms": 800.0, "checkout.banner": {"text": "hi"},
                "feature.on": True, "greeting": "hello", "ratio": 0.25, "big": 2 ** 40}
    settings.update(extra_settings)
    return {"version": version, "instanceId": "pod-1", "settings": settings,
            "migrations": {"db.pool.size": {"id": "05af51ed6bb37251", "from": 10, "to": 20, "salt": "db.pool.size",
                                            "percent": percent, "state": state}}}


def body(**kw) -> bytes:
    return json.dumps(document(**kw)).encode()

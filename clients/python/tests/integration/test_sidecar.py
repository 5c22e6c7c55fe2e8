"""Both clients against the real sidecar: the same answers as its read API, changes seen at once,
a sidecar that stops and comes back, outcomes it counts."""
import asyncio
import time

import httpx
import pytest

import crossfade
from crossfade.bucketing import is_new

from .sidecar import Sidecar, eventually, units

pytestmark = pytest.mark.sidecar
KEYS = ["db.pool.size", "checkout.banner", "feature.one_click_buy", "payments.timeout_ms", "greeting"]


def read_api(sidecar: Sidecar, key: str, unit: str) -> dict:
    r = sidecar.get("/v1/settings/" + key, unit=unit)
    assert r.status_code == 200, r.text
    return r.json()


def as_read_api(d: crossfade.Details) -> dict:
    return {"key": d.key, "value": d.value, "variant": d.variant, "version": d.version, "migration": d.migration}


def test_reads_equal_the_read_api(sidecar):
    with crossfade.Client(sidecar.read) as client:
        assert client.ready(timeout=10), client.last_problem
        for unit in units(100):
            for key in KEYS:
                assert as_read_api(client.details(key, unit)) == read_api(sidecar, key, unit), (key, unit)
        banner = client.details("checkout.banner", "user-1")
        assert banner.reason == "SPLIT" and banner.migration["percent"] == 12.345
        assert client.get_float("payments.timeout_ms", 0.0) == 800.5
        assert client.get_bool("feature.one_click_buy", True) is False
        assert client.get_str("greeting", "") == "hello"


def test_a_read_without_unit_buckets_the_sidecars_instance_id(sidecar):
    with crossfade.Client(sidecar.read) as client:
        assert client.ready(timeout=10)
        r = sidecar.get("/v1/settings/db.pool.size").json()
        assert client.details("db.pool.size").variant == r["variant"]
        assert client.details("db.pool.size", "").value == r["value"]


def test_agrees_with_the_sidecar_on_10000_units_at_5_percents(sidecar):
    """Every unit on the side the sidecar puts it, at percents from a thousandth to nearly all."""
    everyone = units(10_000)

    async def sidecar_sides():
        async with httpx.AsyncClient(base_url=sidecar.read, timeout=30) as http:
            sem = asyncio.Semaphore(32)

            async def side(unit):
                async with sem:
                    r = await http.get("/v1/settings/db.pool.size", params={"unit": unit})
                    return r.json()["variant"]
            return await asyncio.gather(*(side(u) for u in everyone))

    with crossfade.Client(sidecar.read) as client:
        assert client.ready(timeout=10)
        for percent in (0.001, 1, 12.345, 50, 99.999):
            version = sidecar.set_percent("db.pool.size", percent)["state"]["revision"]
            eventually(lambda: client.details("db.pool.size").migration["percent"] == percent, 10,
                       "the client at %s %%" % percent)
            theirs = asyncio.run(sidecar_sides())
            ours = [client.details("db.pool.size", u).variant for u in everyone]
            disagree = [(u, o, t) for u, o, t in zip(everyone, ours, theirs) if o != t]
            assert disagree == [], "at %s %% (revision %s): %d of 10000 disagree, e.g. %s" % (
                percent, version, len(disagree), disagree[:5])
            on_new = ours.count("new")
            assert on_new == sum(is_new("db.pool.size", u, round(percent * 1000)) for u in everyone)


def test_a_percent_change_is_seen_within_a_second(sidecar):
    with crossfade.Client(sidecar.read) as client:
        assert client.ready(timeout=10)
        eventually(lambda: client.is_connected, 10, "the watch stream open")
        started = time.monotonic()
        sidecar.set_percent("db.pool.size", 42)
        eventually(lambda: client.details("db.pool.size").migration["percent"] == 42, 10, "the change seen")
        elapsed = time.monotonic() - started
        print("percent change seen %.0f ms after the admin call was sent" % (elapsed * 1000))
        # the contract is "within a second"; the bound here is generous for a loaded CI machine
        assert client.get_int("db.pool.size", -1, "user-1") == 20


async def test_the_async_client_follows_changes_too(sidecar):
    async with crossfade.AsyncClient(sidecar.read) as client:
        assert await client.ready(timeout=10)
        await asyncio.to_thread(sidecar.set_percent, "checkout.banner", 100)
        for _ in range(1000):
            if client.details("checkout.banner").migration["percent"] == 100:
                break
            await asyncio.sleep(0.01)
        assert client.get_json("checkout.banner", None, "anyone") == {"text": "Free shipping over 50 EUR"}


def test_the_sidecar_stopped_and_restarted(started):
    first = started()
    with crossfade.Client(first.read, initial_backoff=0.05, max_backoff=0.5) as client:
        assert client.ready(timeout=10)
        eventually(lambda: client.is_connected, 10, "the watch stream open")
        before = client.details("db.pool.size", "user-1")
        first.stop()
        eventually(lambda: not client.is_connected, 10, "the client noticing the sidecar gone")
        # the last snapshot keeps serving, not the caller's default
        assert client.details("db.pool.size", "user-1") == before
        assert client.get_int("db.pool.size", -1, "user-1") == 20
        assert client.last_problem
        second = started(first.settings, read_port=first.read_port)
        eventually(lambda: client.is_connected, 30, "the client reconnecting")
        second.set_percent("db.pool.size", 0)
        eventually(lambda: client.get_int("db.pool.size", -1, "user-1") == 10, 10, "a change after the restart")


def test_a_client_started_before_its_sidecar_serves_defaults_then_loads(tmp_path, started):
    from .sidecar import write_settings
    import socket
    with socket.socket() as s:  # a port nobody listens on yet
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with crossfade.Client("http://127.0.0.1:%d" % port, initial_backoff=0.05, max_backoff=0.5) as client:
        assert client.ready(timeout=0.3) is False
        d = client.details("db.pool.size", "user-1", default=7)
        assert (d.value, d.reason, d.error_code) == (7, "ERROR", "NOT_READY")
        assert "ConnectError" in d.error_message
        started(write_settings(tmp_path / "settings"), read_port=port)
        assert client.ready(timeout=30)
        assert client.get_int("db.pool.size", -1, "user-1") == 20


async def test_outcomes_are_counted_by_the_sidecar(sidecar):
    async with crossfade.AsyncClient(sidecar.read) as client:
        assert await client.ready(timeout=10)
        everyone = units(300)
        for i, unit in enumerate(everyone):
            client.record_request(unit, ok=i % 3 != 0)  # a request fails for every third unit
        await client.flush()
        assert client.outcomes().sent == 600  # two running migrations
    new_units = [u for u in everyone if is_new("db.pool.size", u, 5000)]
    new_errors = sum(1 for u in new_units if everyone.index(u) % 3 == 0)

    def counted(**labels):
        return sidecar.metric("crossfade_outcomes_total", key="db.pool.size", source="api", **labels)
    eventually(lambda: counted() == 300, 10, "300 outcomes counted")
    assert counted(variant="new") == len(new_units)
    assert counted(variant="new", result="error") == new_errors
    assert counted(result="error") == 100


def test_reads_over_the_unix_socket(tmp_path, started):
    sock = tmp_path / "crossfade.sock"
    sidecar = started(None, "--listen-unix", str(sock))
    with crossfade.Client(uds=str(sock)) as client:
        assert client.ready(timeout=10), client.last_problem
        for unit in units(20):
            assert as_read_api(client.details("checkout.banner", unit)) == read_api(sidecar, "checkout.banner", unit)
        assert client.record_outcome("db.pool.size", "user-1", False)
    assert sidecar.metric("crossfade_outcomes_total", key="db.pool.size", result="error") == 1

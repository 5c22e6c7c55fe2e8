"""Both clients against a stand-in sidecar: readiness, defaults while it is away, outcomes sent."""
import asyncio
import time

import pytest

import crossfade

from .fake_sidecar import FAST, FakeSidecar


def eventually(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met within %s s" % timeout
        time.sleep(0.01)


def test_without_a_sidecar_getters_return_the_default_and_say_why():
    sidecar = FakeSidecar()
    sidecar.down = True
    with crossfade.Client("http://sidecar", transport=sidecar.transport(), **FAST) as c:
        assert c.ready(timeout=0.2) is False
        assert c.get_int("db.pool.size", 7, "user-1") == 7
        d = c.details("db.pool.size", "user-1", default=7)
        assert (d.value, d.reason, d.error_code) == (7, "ERROR", "NOT_READY")
        assert "no settings loaded yet from http://sidecar (ConnectError: connection refused)" == d.error_message


def test_the_client_loads_keeps_serving_while_the_sidecar_is_away_and_sends_outcomes():
    sidecar = FakeSidecar()
    with crossfade.Client("http://sidecar", transport=sidecar.transport(), **FAST) as c:
        assert c.ready(timeout=5)
        assert c.get_int("db.pool.size", -1, "user-1") == 20
        sidecar.down = True
        time.sleep(0.2)  # the follower polls and fails meanwhile
        assert c.get_int("db.pool.size", -1, "user-1") == 20
        assert "ConnectError" in c.last_problem
        sidecar.down = False
        assert c.record_outcome("db.pool.size", "user-1", False)
        assert c.record_request("user-42", True) == 1
        eventually(lambda: len(sidecar.outcomes()) == 2)
    assert sidecar.outcomes() == [{"key": "db.pool.size", "unit": "user-1", "ok": False},
                                  {"key": "db.pool.size", "unit": "user-42", "ok": True}]
    assert c.outcomes() == (2, 2, 0, 0, 0)


def test_close_sends_what_is_queued():
    sidecar = FakeSidecar()
    c = crossfade.Client("http://sidecar", transport=sidecar.transport(), initial_backoff=0.01, max_backoff=0.05,
                         outcome_interval=1.0)
    assert c.ready(timeout=5)
    c.record_outcome("db.pool.size", "user-1", True)
    c.close()
    assert sidecar.outcomes() == [{"key": "db.pool.size", "unit": "user-1", "ok": True}]
    assert not c.record_outcome("db.pool.size", "user-1", True)  # closed: dropped
    assert c.outcomes().dropped == 1


def test_outcomes_the_sidecar_cannot_take_are_counted_failed_when_close_gives_up():
    sidecar = FakeSidecar(outcome_status=503)
    c = crossfade.Client("http://sidecar", transport=sidecar.transport(), **FAST)
    assert c.ready(timeout=5)
    c.record_outcome("db.pool.size", "user-1", True)
    c.close()
    assert c.outcomes().failed == 1 and c.outcomes().sent == 0


@pytest.mark.parametrize("kwargs,message", [
    (dict(url="127.0.0.1:7070"), "url must be an http:// or https:// address"),
    (dict(request_timeout=0), "request_timeout must be positive"),
    (dict(outcome_interval=2), "outcome_interval must be at most 1 second"),
    (dict(default_unit=""), "default_unit must be a non-empty string"),
])
def test_options_that_cannot_work_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        crossfade.Client(**kwargs)


async def test_the_async_client_loads_and_sends_outcomes_on_the_loop():
    sidecar = FakeSidecar()
    client = crossfade.AsyncClient("http://sidecar", transport=sidecar.transport(), **FAST)
    async with client:
        assert await client.ready(timeout=5)
        assert client.get_int("db.pool.size", -1, "user-42") == 10
        client.record_request("user-42", False)
        for _ in range(500):
            if sidecar.outcomes():
                break
            await asyncio.sleep(0.01)
        assert sidecar.outcomes() == [{"key": "db.pool.size", "unit": "user-42", "ok": False}]
        client.record_request("user-1", True)
    assert len(sidecar.outcomes()) == 2  # the last one sent by aclose


async def test_the_async_client_without_a_sidecar_is_not_ready():
    sidecar = FakeSidecar()
    sidecar.down = True
    async with crossfade.AsyncClient("http://sidecar", transport=sidecar.transport(), **FAST) as client:
        assert await client.ready(timeout=0.2) is False
        assert client.details("db.pool.size", "u", 3).error_code == "NOT_READY"


async def test_a_flush_while_the_sender_flushes_posts_each_outcome_once():
    sidecar = FakeSidecar()
    async with crossfade.AsyncClient("http://sidecar", transport=sidecar.slow_async_transport(), **FAST) as client:
        assert await client.ready(5)
        for i in range(2000):
            client.record_request("u%d" % i, True)
        await asyncio.gather(client.flush(), client.flush(), asyncio.sleep(0.1))
    assert len(sidecar.outcomes()) == 2000
    assert client.outcomes().sent == 2000


async def test_steady_traffic_leaves_in_one_batch_per_interval_not_a_stream_of_small_ones():
    """What arrives while a batch is on its way waits for the next period (a sender that chained
    batches sent one tiny POST after another under load, costing the app a quarter of its CPU)."""
    sidecar = FakeSidecar()
    async with crossfade.AsyncClient("http://sidecar", transport=sidecar.slow_async_transport(), initial_backoff=0.01,
                                     max_backoff=0.05, outcome_interval=0.1) as client:
        assert await client.ready(5)
        started = time.monotonic()
        for i in range(300):  # one request every few milliseconds, for a second or more
            client.record_request("u%d" % i, True)
            await asyncio.sleep(0.003)
        elapsed = time.monotonic() - started
        await client.flush()
    assert len(sidecar.outcomes()) == 300
    # one post per 0.1 s interval, and the final flush (chaining posted one every 10 ms: ten times as many)
    assert len(sidecar.posts) <= elapsed / 0.1 + 3, "%d posts for 300 outcomes in %.2f s" % (len(sidecar.posts), elapsed)


def test_a_periodic_flush_goes_on_only_while_full_batches_wait():
    from crossfade.outcomes import OutcomeQueue
    q = OutcomeQueue(batch_size=2)
    q.record("a", "u", True)
    assert not q.full_batch_waits()
    q.record("b", "u", True)
    assert q.full_batch_waits()


def test_flush_sends_everything_queued_not_one_batch():
    sidecar = FakeSidecar()
    with crossfade.Client("http://sidecar", transport=sidecar.transport(), initial_backoff=0.01, max_backoff=0.05,
                          outcome_interval=1.0) as c:
        assert c.ready(timeout=5)
        for i in range(2500):
            c.record_request("u%d" % i, True)
        c.flush()
        eventually(lambda: len(sidecar.outcomes()) == 2500, 5)

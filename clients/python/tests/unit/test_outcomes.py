"""The bounded outcome queue: batches, drops, retries, and what is counted where."""
import json

import pytest

from crossfade.outcomes import MAX_BODY_BYTES, OutcomeQueue, batch_body


def test_a_full_queue_drops_and_counts_never_blocks():
    q = OutcomeQueue(capacity=3)
    assert q.record_many(["a", "b"], "u", True) == 2
    assert q.record_many(["c", "d"], "u", True) == 1
    assert q.record("e", "u", False) is False
    assert q.counts() == (5, 0, 2, 0, 3)


def test_outcomes_the_sidecar_would_refuse_are_dropped_at_once():
    q = OutcomeQueue()
    assert not q.record("Bad Key", "u", True)
    assert not q.record("k", "", True)
    assert not q.record("k", "x" * 257, True)
    assert not q.record("k", "bad-\udc80", True)  # a lone surrogate has no UTF-8: the batch would be refused
    assert q.record("k", "ü" * 128, True)  # 256 bytes exactly
    assert q.counts().dropped == 4


def test_batches_hold_at_most_the_batch_size_and_leave_in_order():
    q = OutcomeQueue(batch_size=2)
    q.record_many(["a", "b", "c"], "u", True)
    assert q.next_batch() == [("a", "u", True), ("b", "u", True)]
    assert q.settle(202)
    assert q.next_batch() == [("c", "u", True)]
    assert q.settle(202)
    assert q.next_batch() is None
    assert q.counts() == (3, 3, 0, 0, 0)


def test_a_batch_stays_under_the_sidecars_body_limit():
    q = OutcomeQueue()
    q.record_many(["k"] * 1000, "u" * 250, True)
    batch = q.next_batch()
    assert len(batch) < 1000
    assert len(batch_body(batch)) <= MAX_BODY_BYTES


def test_a_failure_that_may_pass_is_retried_then_counted_failed():
    q = OutcomeQueue(max_attempts=3)
    q.record("k", "u", True)
    first = q.next_batch()
    assert not q.settle(None)       # no answer: keep it
    assert q.next_batch() is first
    assert not q.settle(503)
    assert q.settle(503)            # third attempt: given up
    assert q.counts() == (1, 0, 0, 1, 0)


def test_a_refused_batch_is_not_retried():
    q = OutcomeQueue()
    q.record("k", "u", True)
    q.next_batch()
    assert q.settle(400)
    assert q.counts().failed == 1


@pytest.mark.parametrize("status", [408, 429])
def test_throttling_answers_are_retried(status):
    q = OutcomeQueue()
    q.record("k", "u", True)
    q.next_batch()
    assert not q.settle(status)


def test_after_close_nothing_is_accepted_and_abandon_counts_the_rest_failed():
    q = OutcomeQueue()
    q.record_many(["a", "b"], "u", True)
    q.next_batch()
    q.record("c", "u", True)
    q.close()
    assert not q.record("d", "u", True)
    assert q.abandon() == 3
    assert q.counts() == (4, 0, 1, 3, 0)


def test_a_full_batch_wakes_the_sender():
    q = OutcomeQueue(batch_size=2)
    woken = []
    q.on_batch_ready = lambda: woken.append(1)
    q.record("a", "u", True)
    assert woken == []
    q.record("b", "u", True)
    assert woken == [1]


def test_the_body_is_the_per_unit_form():
    assert json.loads(batch_body([("k", "user-ü", False)])) == {"outcomes": [{"key": "k", "unit": "user-ü", "ok": False}]}


def test_options_that_cannot_work_are_refused_by_name():
    with pytest.raises(ValueError, match="capacity must be at least 1"):
        OutcomeQueue(capacity=0)
    with pytest.raises(ValueError, match="batch size must be 1 to 1000"):
        OutcomeQueue(batch_size=1001)

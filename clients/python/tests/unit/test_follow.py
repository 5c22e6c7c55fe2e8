"""The follower's parts: the SSE parser, the backoff and the decisions on each answer."""
import pytest

from crossfade.follow import Backoff, SseParser, is_news, read_snapshot, snapshot_headers
from crossfade.snapshot import Snapshot

from .snapshots import body, document


def events(text):
    return list(SseParser().feed(text.splitlines(keepends=True)))


def test_a_change_event_as_the_sidecar_sends_it():
    stream = ": watching version 6\n\nevent: change\ndata: {\"version\":7,\"keys\":[\"db.pool.size\"]}\n\n: heartbeat\n\n"
    assert events(stream) == [("change", '{"version":7,"keys":["db.pool.size"]}')]


def test_data_lines_join_and_an_event_without_type_is_a_message():
    assert events("data: a\ndata:b\n\n") == [("message", "a\nb")]


def test_comments_ids_and_crlf_do_not_make_events():
    assert events(": x\r\nid: 3\r\nretry: 10\r\n\r\n") == []
    assert events("event: change\r\ndata: x\r\n\r\n") == [("change", "x")]


def test_an_unfinished_event_is_not_dispatched():
    assert events("event: change\ndata: {}\n") == []


def test_news_is_a_change_to_another_version():
    current = Snapshot.from_json(document(version=7))
    assert not is_news(("change", '{"version":7}'), current)
    assert is_news(("change", '{"version":8}'), current)
    assert is_news(("change", "not json"), current)
    assert not is_news(("message", '{"version":8}'), current)
    assert is_news(("change", '{"version":7}'), None)


def test_backoff_doubles_to_the_cap_with_jitter_in_the_upper_half():
    low = Backoff(0.1, 0.5, lambda: 0.0)
    assert [round(low.next(), 3) for _ in range(5)] == [0.05, 0.1, 0.2, 0.25, 0.25]
    high = Backoff(0.1, 0.5, lambda: 0.999999)
    assert [round(high.next(), 3) for _ in range(4)] == [0.1, 0.2, 0.4, 0.5]
    high.reset()
    assert round(high.next(), 3) == 0.1


def test_backoff_refuses_options_that_cannot_work():
    with pytest.raises(ValueError, match="initial backoff must be positive"):
        Backoff(0, 1)
    with pytest.raises(ValueError, match="below the initial"):
        Backoff(2, 1)


def test_snapshot_answers():
    current = Snapshot.from_json(document(version=7))
    assert snapshot_headers(None) == {}
    assert snapshot_headers(current) == {"If-None-Match": '"7"'}
    assert read_snapshot(304, b"", current) == (None, None)
    assert read_snapshot(200, body(version=7), current) == (None, None)
    fresh, problem = read_snapshot(200, body(version=6), current)  # a wiped sidecar starts over: lower is news
    assert fresh.version == 6 and problem is None
    assert read_snapshot(503, b"", current) == (None, "GET /v1/snapshot answered 503")
    fresh, problem = read_snapshot(200, b"{}", current)
    assert fresh is None and "cannot read: snapshot document: 'version' must be an integer" in problem

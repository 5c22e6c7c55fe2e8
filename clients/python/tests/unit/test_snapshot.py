"""Reading the /v1/snapshot document and answering getters from it."""
import copy

import pytest

from crossfade.reader import SettingsReader
from crossfade.snapshot import Snapshot, SnapshotError, parse_percent

from .snapshots import body, document


def reader_with(doc=None, default_unit=None) -> SettingsReader:
    r = SettingsReader(default_unit, "http://test")
    r._snapshot = Snapshot.from_json(doc or document())
    return r


def test_a_migration_puts_units_on_the_sides_the_document_says():
    r = reader_with()
    assert r.get_int("db.pool.size", -1, "user-1") == 20   # bucket 246 < 5000
    assert r.get_int("db.pool.size", -1, "user-42") == 10  # bucket 12639
    d = r.details("db.pool.size", "user-1")
    assert (d.value, d.variant, d.reason, d.version, d.error_code) == (20, "new", "SPLIT", 7, None)
    assert d.migration == {"id": "05af51ed6bb37251", "percent": 5, "state": "running"}


def test_a_setting_without_migration_is_static():
    d = reader_with().details("greeting", "user-1")
    assert (d.value, d.variant, d.reason, d.migration, d.fallback) == ("hello", "static", "STATIC", None, False)


@pytest.mark.parametrize("percent,state,variant,reason", [
    (0, "rolled_back", "old", "STATIC"),
    (100, "completed", "new", "STATIC"),
    (5, "halted", "new", "SPLIT"),
])
def test_the_reason_is_split_only_while_units_are_split(percent, state, variant, reason):
    d = reader_with(document(percent=percent, state=state)).details("db.pool.size", "user-1")
    assert (d.variant, d.reason) == (variant, reason)


def test_thousandths_of_a_percent_are_exact():
    assert parse_percent(12.345, "p") == 12345
    assert parse_percent(5, "p") == 5000
    assert parse_percent(0.001, "p") == 1
    d = reader_with(document(percent=0.247)).details("db.pool.size", "user-1")  # bucket 246 < 247
    assert (d.variant, d.migration["percent"]) == ("new", 0.247)
    assert reader_with(document(percent=0.246)).details("db.pool.size", "user-1").variant == "old"


def test_a_read_without_unit_uses_the_default_unit_else_the_instance_id():
    doc = document()
    doc["instanceId"] = "user-1"
    assert reader_with(doc).get_int("db.pool.size", -1) == 20
    assert reader_with(doc, default_unit="user-42").get_int("db.pool.size", -1) == 10
    assert reader_with(doc, default_unit="user-42").get_int("db.pool.size", -1, "") == 10


def test_typed_getters_are_strict_and_fall_back_to_the_default():
    r = reader_with(document(whole_float=3.0, text_number="10"))
    assert r.get_int("db.pool.size", -1, "user-42") == 10
    assert r.get_int("whole_float", -1) == 3
    assert r.get_int("ratio", -1) == -1
    assert r.get_int("feature.on", -1) == -1  # a boolean is not a number
    assert r.get_int("text_number", -1) == -1
    assert r.get_int("big", -1) == 2 ** 40
    assert r.get_float("payments.timeout_ms", -1.0) == 800.0
    assert r.get_float("db.pool.size", -1.0, "user-42") == 10.0
    assert r.get_float("greeting", -1.0) == -1.0
    assert r.get_str("greeting", "x") == "hello"
    assert r.get_str("text_number", "x") == "10"
    assert r.get_str("db.pool.size", "x") == "x"
    assert r.get_bool("feature.on", False) is True
    assert r.get_bool("db.pool.size", False) is False
    assert r.get_json("checkout.banner") == {"text": "hi"}
    assert r.get_json("nope", {"d": 1}) == {"d": 1}
    assert r.get_int("nope", 42) == 42


def test_details_says_why_the_default_was_returned():
    r = reader_with()
    missing = r.details("nope", "u", default=3)
    assert (missing.value, missing.reason, missing.error_code, missing.fallback) == (3, "ERROR", "SETTING_NOT_FOUND", True)
    assert "no setting named 'nope'" in missing.error_message
    mismatch = r.details("greeting", "u", default=0, as_type=int)
    assert (mismatch.value, mismatch.error_code) == (0, "TYPE_MISMATCH")
    assert mismatch.error_message == "greeting: expected a whole number, found a string ('hello')"
    assert r.details("db.pool.size", "user-42", as_type=float).value == 10.0


def test_before_any_snapshot_getters_return_the_default_and_details_say_not_ready():
    r = SettingsReader(None, "http://127.0.0.1:1")
    r._last_problem = "ConnectError: connection refused"
    assert r.get_int("db.pool.size", 7, "user-1") == 7
    assert r.get_json("checkout.banner", {"a": 1}) == {"a": 1}
    d = r.details("db.pool.size", "user-1", default=7)
    assert (d.value, d.variant, d.reason, d.version, d.error_code) == (7, None, "ERROR", 0, "NOT_READY")
    assert d.error_message == "no settings loaded yet from http://127.0.0.1:1 (ConnectError: connection refused)"


def test_a_view_reads_as_its_unit():
    view = reader_with().for_unit("user-1")
    assert view.get_int("db.pool.size", -1) == 20
    assert view.details("db.pool.size").variant == "new"


def test_running_lists_only_running_migrations():
    assert Snapshot.from_json(document()).running == ("db.pool.size",)
    assert Snapshot.from_json(document(state="halted")).running == ()


def _broken(mutate):
    doc = document()
    mutate(doc)
    return doc


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d.pop("version"), "'version' must be an integer, found nothing"),
    (lambda d: d.update(version="7"), "'version' must be an integer, found a string ('7')"),
    (lambda d: d.update(instanceId=3), "'instanceId' must be a string"),
    (lambda d: d.update(settings=[]), "'settings' must be an object, found an array"),
    (lambda d: d["settings"].update({"Bad Key": 1}), "settings has an invalid key 'Bad Key'"),
    (lambda d: d["settings"].update({"x": None}), "settings.x is null"),
    (lambda d: d["migrations"].update({"nope": {}}), "migrations.nope migrates a setting that is not in 'settings'"),
    (lambda d: d["migrations"]["db.pool.size"].update(percent="5"), "migrations.db.pool.size.percent must be a number"),
    (lambda d: d["migrations"]["db.pool.size"].update(percent=100.5), "must be 0 to 100 in 0.001 steps, found 100.5"),
    (lambda d: d["migrations"]["db.pool.size"].update(percent=1.0001), "must be 0 to 100 in 0.001 steps"),
    (lambda d: d["migrations"]["db.pool.size"].update(state="gone"), "migrations.db.pool.size.state is not a migration state"),
    (lambda d: d["migrations"]["db.pool.size"].pop("to"), "migrations.db.pool.size.to is missing"),
    (lambda d: d["migrations"]["db.pool.size"].pop("salt"), "'migrations.db.pool.size.salt' must be a string"),
])
def test_a_malformed_document_is_refused_naming_the_field(mutate, message):
    with pytest.raises(SnapshotError) as e:
        Snapshot.from_json(_broken(mutate))
    assert message in str(e.value)


def test_unknown_fields_are_ignored_so_a_newer_sidecar_can_add_some():
    doc = copy.deepcopy(document())
    doc["future"] = 1
    doc["migrations"]["db.pool.size"]["steps"] = []
    assert Snapshot.from_json(doc).version == 7


def test_parse_refuses_what_is_not_json():
    with pytest.raises(SnapshotError, match="not JSON"):
        Snapshot.parse(b"<html>")
    assert Snapshot.parse(body(version=9)).version == 9

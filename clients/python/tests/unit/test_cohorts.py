"""Cohorts in the snapshot document: exclude, then include, then the percent (docs/bucketing.md)."""
import json

from crossfade.bucketing import is_new
from crossfade.snapshot import Snapshot


def _doc(percent, state="running", **cohorts):
    m = {"id": "m1", "from": 10, "to": 20, "salt": "k", "percent": percent, "state": state}
    m.update(cohorts)
    return json.dumps({"version": 1, "instanceId": "i", "settings": {"k": 10}, "migrations": {"k": m}}).encode()


STAFF = {"cohort": "staff", "units": ["alice", "carol"], "prefixes": ["staff-", "staff-x"]}
FROZEN = {"cohort": "frozen", "units": ["carol"], "prefixes": ["staff-frozen"]}
INLINE = {"cohort": None, "units": ["dave"], "prefixes": []}
OPERATOR = {"cohort": None, "operator": True, "units": ["erin"], "prefixes": []}


def test_exclude_wins_over_include_and_both_over_the_percent():
    s = Snapshot.parse(_doc(100, include=[STAFF, INLINE], exclude=[FROZEN, OPERATOR]))
    m = s.migrations["k"]
    assert s.resolve("k", "alice")[:2] == (20, "new")
    assert m.placement("alice") == ("included", "staff")
    assert m.placement("staff-7") == ("included", "staff")
    assert m.placement("dave") == ("included", None)
    assert s.resolve("k", "carol")[:2] == (10, "old")
    assert m.placement("carol") == ("excluded", "frozen")
    assert m.placement("staff-frozen-1") == ("excluded", "frozen")
    assert m.placement("erin") == ("excluded", None)
    assert m.placement("zed") == ("percent", None)
    assert s.resolve("k", "zed")[1] == "new"
    assert m.reason("alice") == "TARGETING_MATCH"


def test_units_outside_every_cohort_bucket_exactly_as_without_cohorts():
    s = Snapshot.parse(_doc(37, include=[STAFF], exclude=[FROZEN]))
    m = s.migrations["k"]
    for i in range(3000):
        unit = "user-%d" % i
        assert m.variant(unit) == ("new" if is_new("k", unit, 37000) else "old")
        assert m.reason(unit) == "SPLIT"


def test_a_document_without_cohorts_reads_as_before():
    m = Snapshot.parse(_doc(0)).migrations["k"]
    assert m.targeting is None
    assert m.variant("alice") == "old"
    assert m.reason("alice") == "STATIC"

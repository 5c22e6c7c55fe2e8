"""The bucketing rule of docs/bucketing.md, pinned to the document's known values."""
import pathlib
import re

import pytest

from crossfade.bucketing import BUCKETS, bucket, is_new, murmur3_x86_32

DOC = pathlib.Path(__file__).resolve().parents[4] / "docs" / "bucketing.md"

KNOWN = [  # bucket key, h (unsigned), bucket, side at 5 %
    ("fractional-flagjack", "", 2682799072, 62463, "old"),
    ("db.pool.size", "user-1", 10578443, 246, "new"),
    ("db.pool.size", "user-42", 542846569, 12639, "old"),
    ("db.pool.size", "user-7", 1894776690, 44116, "old"),
]


@pytest.mark.parametrize("salt,unit,h,expected_bucket,side", KNOWN)
def test_known_values_of_the_document(salt, unit, h, expected_bucket, side):
    assert murmur3_x86_32((salt + unit).encode("utf-8")) == h
    assert bucket(salt, unit) == expected_bucket
    assert ("new" if is_new(salt, unit, 5000) else "old") == side


def test_the_documents_table_is_the_one_pinned_here():
    rows = re.findall(r"^\| `([^`]+)`(?: \+ `([^`]+)`)? \| (\d+) \| (\d+) \| (\w+) \|$", DOC.read_text(), re.M)
    assert [(s, u, int(h), int(b), side) for s, u, h, b, side in rows] == KNOWN


@pytest.mark.parametrize("data,seed,h", [
    (b"", 0, 0),
    (b"", 1, 0x514E28B7),
    (b"a", 0, 0x3C2569B2),           # one tail byte
    (b"ab", 0, 0x9BBFD75F),          # two
    (b"abc", 0, 0xB3DD93FA),         # three
    (b"abcd", 0, 0x43ED676A),        # one block, no tail
    (b"hello", 0, 613153351),
    (b"The quick brown fox jumps over the lazy dog", 0, 0x2E4FF723),
    (b"\xff\xff\xff\xff", 0, 0x76293B50),  # bytes >= 0x80 are unsigned
])
def test_murmur3_x86_32_reference_vectors(data, seed, h):
    assert murmur3_x86_32(data, seed) == h


def test_the_bucket_key_is_utf8():
    assert bucket("k", "ü-user") == (murmur3_x86_32("kü-user".encode("utf-8")) * BUCKETS) >> 32


def test_zero_and_full_percent_need_no_hash():
    assert not is_new("k", "u", 0)
    assert is_new("k", "u", BUCKETS)


def test_raising_the_percent_never_moves_a_unit_back_to_old():
    units = ["user-%d" % i for i in range(500)]
    before = {u for u in units if is_new("checkout.price_format", u, 20_000)}
    after = {u for u in units if is_new("checkout.price_format", u, 30_000)}
    assert before < after
    assert 100 <= len(after) <= 200  # about 30 % of 500


@pytest.mark.parametrize("salt", ["", "a", "ab", "abc", "abcd", "db.pool.size", "checkout.price_format", "sälz"])
@pytest.mark.parametrize("unit", ["", "u", "user-1", "user-12345", "ünït-ø", "x" * 37])
def test_the_salts_remembered_state_gives_the_whole_keys_hash(salt, unit):
    """bucket() mixes the salt's blocks once; it must equal hashing salt + unit in one pass."""
    assert bucket(salt, unit) == (murmur3_x86_32((salt + unit).encode("utf-8")) * BUCKETS) >> 32

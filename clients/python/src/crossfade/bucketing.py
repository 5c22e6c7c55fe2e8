"""Which side of a migration a unit is on, exactly as ``docs/bucketing.md`` states.

Every reader of a migration (the sidecar, the Java client, this package) must put a unit on the
same side, so the rule is fixed:

1. ``bucket_key = salt + unit``, encoded as UTF-8;
2. ``h = murmur3_x86_32(bucket_key, seed 0)``, an unsigned 32-bit number;
3. ``bucket = (h * 100000) >> 32``, in [0, 100000);
4. the unit is on the new side when ``bucket < percent`` (percent in thousandths: 12.345 % is 12345).

Debian ships no murmur3 module, so the hash is written here in plain Python and pinned by the
tests to the document's known values. All functions are pure and safe on any thread.
"""
from struct import Struct

BUCKETS = 100_000
"""Number of buckets: one per thousandth of a percent."""

_MASK = 0xFFFFFFFF
_C1 = 0xCC9E2D51
_C2 = 0x1B873593
_WORDS = {}  # block count -> Struct reading that many little-endian uint32, built once per length


def _blocks(h: int, data: bytes, blocks: int) -> int:
    """Mixes the first ``blocks`` 4-byte little-endian blocks of ``data`` into the state ``h``."""
    words = _WORDS.get(blocks)
    if words is None:
        words = _WORDS.setdefault(blocks, Struct("<%dI" % blocks))
    for k in words.unpack_from(data):
        k = (k * _C1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * _C2) & _MASK
        h ^= k
        h = ((h << 13) | (h >> 19)) & _MASK
        h = (h * 5 + 0xE6546B64) & _MASK
    return h


def _finish(h: int, data: bytes, length: int) -> int:
    """Mixes the 0-3 tail bytes at the end of ``data`` and finalises a hash of ``length`` bytes in all."""
    tail = len(data) & 3
    if tail:
        i = len(data) - tail
        k = data[i]
        if tail > 1:
            k |= data[i + 1] << 8
            if tail > 2:
                k |= data[i + 2] << 16
        k = (k * _C1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * _C2) & _MASK
        h ^= k
    h ^= length
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    return h


def murmur3_x86_32(data: bytes, seed: int = 0) -> int:
    """The unsigned 32-bit MurmurHash3 (x86_32 variant) of ``data``, as commons-codec's ``hash32x86``."""
    blocks = len(data) >> 2
    h = seed & _MASK
    if blocks:
        h = _blocks(h, data, blocks)
    return _finish(h, data, len(data))


_SALTS = {}  # salt -> (state after its whole blocks, its 0-3 leftover bytes, its length)


def bucket(salt: str, unit: str) -> int:
    """The bucket in [0, 100000) of ``unit`` under ``salt``.

    Equal to ``(murmur3_x86_32((salt + unit).encode()) * 100000) >> 32``, but the salt's whole
    4-byte blocks are mixed once per salt and remembered: the hash is a left-to-right pass, and
    the salt (the setting's key, usually) is the longer half of every bucket key.
    """
    state = _SALTS.get(salt)
    if state is None:
        encoded = salt.encode("utf-8", "surrogatepass")
        whole = len(encoded) >> 2
        state = (_blocks(0, encoded, whole) if whole else 0, encoded[whole << 2:], len(encoded))
        if len(_SALTS) >= 1024:  # salts are one per migration; a bound all the same
            _SALTS.clear()
        _SALTS[salt] = state
    h, rest, salt_length = state
    data = rest + unit.encode("utf-8", "surrogatepass") if rest else unit.encode("utf-8", "surrogatepass")
    blocks = len(data) >> 2
    if blocks:
        h = _blocks(h, data, blocks)
    return (_finish(h, data, salt_length - len(rest) + len(data)) * BUCKETS) >> 32


def is_new(salt: str, unit: str, percent_thousandths: int) -> bool:
    """True when ``unit`` is on the new side of a migration salted ``salt`` at the given percent."""
    if percent_thousandths <= 0:
        return False
    if percent_thousandths >= BUCKETS:
        return True
    return bucket(salt, unit) < percent_thousandths

package io.crossfade.config;

/**
 * murmur3_x86_32 of the UTF-8 encoding of two concatenated strings, computed from their chars
 * directly: the result equals {@code MurmurHash3.hash32x86((first + second).getBytes(UTF_8), 0, n, seed)}
 * for every input, but nothing is allocated, so a read that buckets a unit creates no garbage.
 *
 * <p>The encoding is exactly {@link String#getBytes(java.nio.charset.Charset) String.getBytes(UTF_8)}'s:
 * a surrogate pair becomes four bytes (also when the pair straddles the two strings), and an unpaired
 * surrogate becomes {@code '?'}. Pure; safe on any thread.
 */
final class Murmur3Utf8 {

    private static final int C1 = 0xcc9e2d51;
    private static final int C2 = 0x1b873593;

    private Murmur3Utf8() {
    }

    /** The signed 32-bit murmur3_x86_32 of UTF-8({@code first + second}) with {@code seed}. */
    static int hash(String first, String second, int seed) {
        int h = seed;
        int block = 0;   // pending bytes, little-endian
        int shift = 0;   // bit position of the next pending byte: 0, 8, 16 or 24
        int length = 0;  // bytes hashed
        int firstLength = first.length();
        int total = firstLength + second.length();
        for (int i = 0; i < total; i++) {
            char c = i < firstLength ? first.charAt(i) : second.charAt(i - firstLength);
            int bytes;
            int count;
            if (c < 0x80) {
                // ASCII, the common case for keys and unit ids: one byte, no further branching
                block |= c << shift;
                length++;
                if (shift == 24) {
                    h = mix(h, block);
                    block = 0;
                    shift = 0;
                } else {
                    shift += 8;
                }
                continue;
            } else if (c < 0x800) {
                bytes = (0xC0 | (c >> 6)) | (0x80 | (c & 0x3F)) << 8;
                count = 2;
            } else if (!Character.isSurrogate(c)) {
                bytes = (0xE0 | (c >> 12)) | (0x80 | ((c >> 6) & 0x3F)) << 8 | (0x80 | (c & 0x3F)) << 16;
                count = 3;
            } else {
                char low = 0;
                if (Character.isHighSurrogate(c) && i + 1 < total) {
                    low = i + 1 < firstLength ? first.charAt(i + 1) : second.charAt(i + 1 - firstLength);
                }
                if (Character.isLowSurrogate(low)) {
                    int cp = Character.toCodePoint(c, low);
                    bytes = (0xF0 | (cp >> 18)) | (0x80 | ((cp >> 12) & 0x3F)) << 8
                            | (0x80 | ((cp >> 6) & 0x3F)) << 16 | (0x80 | (cp & 0x3F)) << 24;
                    count = 4;
                    i++;
                } else {
                    bytes = '?'; // what String.getBytes(UTF_8) writes for an unpaired surrogate
                    count = 1;
                }
            }
            for (int k = 0; k < count; k++) {
                block |= ((bytes >>> (k << 3)) & 0xFF) << shift;
                length++;
                if (shift == 24) {
                    h = mix(h, block);
                    block = 0;
                    shift = 0;
                } else {
                    shift += 8;
                }
            }
        }
        if (shift != 0) {
            // 1-3 trailing bytes: mixed into k1 without the h rotation, as the reference does
            int k1 = block * C1;
            k1 = Integer.rotateLeft(k1, 15);
            k1 *= C2;
            h ^= k1;
        }
        h ^= length;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    private static int mix(int h, int k) {
        k *= C1;
        k = Integer.rotateLeft(k, 15);
        k *= C2;
        h ^= k;
        h = Integer.rotateLeft(h, 13);
        return h * 5 + 0xe6546b64;
    }
}

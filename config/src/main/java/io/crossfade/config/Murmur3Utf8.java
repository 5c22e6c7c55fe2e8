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
        int block = 0;   // pending bytes of the current 4-byte block, little-endian
        int length = 0;  // bytes hashed so far; length & 3 bytes are pending in block
        String s = first;
        int n = s.length();
        int i = 0;
        boolean inFirst = true;
        while (true) {
            if (i >= n) {
                if (!inFirst) {
                    break;
                }
                inFirst = false;
                s = second;
                n = s.length();
                i = 0;
                continue;
            }
            if ((length & 3) == 0 && i + 4 <= n) {
                // Fast path for keys and unit ids: four ASCII chars are one whole block.
                char c0 = s.charAt(i);
                char c1 = s.charAt(i + 1);
                char c2 = s.charAt(i + 2);
                char c3 = s.charAt(i + 3);
                if ((c0 | c1 | c2 | c3) < 0x80) {
                    h = mix(h, c0 | c1 << 8 | c2 << 16 | c3 << 24);
                    i += 4;
                    length += 4;
                    continue;
                }
            }
            char c = s.charAt(i++);
            int bytes;
            int count;
            if (c < 0x80) {
                bytes = c;
                count = 1;
            } else if (c < 0x800) {
                bytes = (0xC0 | (c >> 6)) | (0x80 | (c & 0x3F)) << 8;
                count = 2;
            } else if (!Character.isSurrogate(c)) {
                bytes = (0xE0 | (c >> 12)) | (0x80 | ((c >> 6) & 0x3F)) << 8 | (0x80 | (c & 0x3F)) << 16;
                count = 3;
            } else {
                // A high surrogate pairs with the next char, which may be the first of the second string.
                char low = 0;
                boolean lowStartsSecond = false;
                if (Character.isHighSurrogate(c)) {
                    if (i < n) {
                        low = s.charAt(i);
                    } else if (inFirst && !second.isEmpty()) {
                        low = second.charAt(0);
                        lowStartsSecond = true;
                    }
                }
                if (Character.isLowSurrogate(low)) {
                    int cp = Character.toCodePoint(c, low);
                    bytes = (0xF0 | (cp >> 18)) | (0x80 | ((cp >> 12) & 0x3F)) << 8
                            | (0x80 | ((cp >> 6) & 0x3F)) << 16 | (0x80 | (cp & 0x3F)) << 24;
                    count = 4;
                    if (lowStartsSecond) {
                        inFirst = false;
                        s = second;
                        n = s.length();
                        i = 1;
                    } else {
                        i++;
                    }
                } else {
                    bytes = '?'; // what String.getBytes(UTF_8) writes for an unpaired surrogate
                    count = 1;
                }
            }
            for (int k = 0; k < count; k++) {
                block |= ((bytes >>> (k << 3)) & 0xFF) << ((length & 3) << 3);
                length++;
                if ((length & 3) == 0) {
                    h = mix(h, block);
                    block = 0;
                }
            }
        }
        if ((length & 3) != 0) {
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

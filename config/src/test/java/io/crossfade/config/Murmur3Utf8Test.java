package io.crossfade.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.apache.commons.codec.digest.MurmurHash3;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The allocation-free hash must equal commons-codec's murmur3_x86_32 of {@code (first + second)
 * .getBytes(UTF_8)} for every input, or units would change sides: pinned on the flagd known value,
 * every tail length, every UTF-8 width, unpaired surrogates and pairs split across the two strings,
 * and a large seeded random corpus.
 */
class Murmur3Utf8Test {

    private static int reference(String first, String second, int seed) {
        byte[] bytes = (first + second).getBytes(StandardCharsets.UTF_8);
        return MurmurHash3.hash32x86(bytes, 0, bytes.length, seed);
    }

    private static void assertSameAsReference(String first, String second) {
        assertThat(Murmur3Utf8.hash(first, second, 0))
                .as("hash of %s + %s", escape(first), escape(second))
                .isEqualTo(reference(first, second, 0));
    }

    @Test
    void matchesFlagdsKnownValue() {
        assertThat(Integer.toUnsignedLong(Murmur3Utf8.hash("fractional-", "flagjack", 0))).isEqualTo(2682799072L);
        assertThat(Integer.toUnsignedLong(Murmur3Utf8.hash("fractional-flagjack", "", 0))).isEqualTo(2682799072L);
    }

    @Test
    void matchesTheReferenceForEveryLengthAndSplitPoint() {
        String text = "db.pool.size:user-0123456789";
        for (int end = 0; end <= text.length(); end++) {
            for (int split = 0; split <= end; split++) {
                assertSameAsReference(text.substring(0, split), text.substring(split, end));
            }
        }
    }

    @Test
    void matchesTheReferenceWhenAsciiRunsAndMultiByteCharactersInterleaveAtEveryAlignment() {
        String text = "ab\u00e9cdef\ud83d\ude00ghij\u20ackl\ud83d\ude00mnopq\u00ff";
        for (int end = 0; end <= text.length(); end++) {
            for (int split = 0; split <= end; split++) {
                assertSameAsReference(text.substring(0, split), text.substring(split, end));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"é", "ß", "ÿ", "\u07ff", "\u0800", "€", "日本語", "\uffff", "😀", "𝄞x", "a😀b😀"})
    void matchesTheReferenceForMultiByteCharacters(String unit) {
        for (String salt : new String[] {"", "k", "ke", "key", "key."}) {
            assertSameAsReference(salt, unit);
            assertSameAsReference(unit, salt);
        }
    }

    @Test
    void encodesUnpairedSurrogatesAsStringGetBytesDoes() {
        char high = '\ud83d';
        char low = '\ude00';
        assertSameAsReference("salt", String.valueOf(high));
        assertSameAsReference("salt", String.valueOf(low));
        assertSameAsReference("salt", "" + low + high);
        assertSameAsReference("salt", "a" + high + "b");
        assertSameAsReference(String.valueOf(high), String.valueOf(high));
    }

    @Test
    void joinsASurrogatePairSplitAcrossSaltAndUnit() {
        String pair = "😀";
        assertSameAsReference("salt" + pair.charAt(0), pair.charAt(1) + "unit");
        assertSameAsReference(String.valueOf(pair.charAt(0)), String.valueOf(pair.charAt(1)));
    }

    @Test
    void honoursTheSeed() {
        for (int seed : new int[] {1, -1, 42, Integer.MIN_VALUE}) {
            assertThat(Murmur3Utf8.hash("db.pool.size", "user-7", seed)).isEqualTo(reference("db.pool.size", "user-7", seed));
        }
    }

    @Test
    void matchesTheReferenceOnRandomStrings() {
        Random random = new Random(20261124L);
        for (int i = 0; i < 200_000; i++) {
            assertSameAsReference(randomString(random), randomString(random));
        }
    }

    /** Strings mixing ASCII, 2- and 3-byte characters, surrogate pairs and lone surrogates. */
    private static String randomString(Random random) {
        int length = random.nextInt(24);
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            switch (random.nextInt(8)) {
                case 0 -> s.append((char) (0x80 + random.nextInt(0x800 - 0x80)));
                case 1 -> s.append((char) (0x800 + random.nextInt(0xD800 - 0x800)));
                case 2 -> s.appendCodePoint(0x10000 + random.nextInt(0x10FFFF - 0x10000));
                case 3 -> s.append((char) (0xD800 + random.nextInt(0x800)));
                case 4 -> s.append((char) (0xE000 + random.nextInt(0x2000)));
                default -> s.append((char) random.nextInt(0x80));
            }
        }
        return s.toString();
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            out.append(c < 0x80 && c >= 0x20 ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return out.toString();
    }
}

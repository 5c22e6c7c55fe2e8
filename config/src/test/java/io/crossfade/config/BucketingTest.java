package io.crossfade.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BucketingTest {

    private static final int UNITS = 100_000;
    private static final String SALT = "db.pool.size";

    /** 100 000 random units from a fixed seed, and their buckets under {@link #SALT}, computed once. */
    private static List<String> units;
    private static int[] buckets;

    @BeforeAll
    static void randomUnits() {
        Random random = new Random(20240101L);
        units = new ArrayList<>(UNITS);
        buckets = new int[UNITS];
        for (int i = 0; i < UNITS; i++) {
            String unit = new UUID(random.nextLong(), random.nextLong()).toString();
            units.add(unit);
            buckets[i] = Bucketing.bucket(SALT, unit);
        }
    }

    @Test
    void hashMatchesTheKnownMurmur3ValueFromFlagd() {
        assertThat(Bucketing.hash("fractional-flagjack")).isEqualTo(2682799072L);
    }

    @Test
    void knownHashGivesFlagdsBucketForWeightsSummingToOneHundred() {
        long h = Bucketing.hash("fractional-flagjack");
        assertThat((h * 100) >>> 32).isEqualTo(62L);
        // The same rule with 100 000 buckets: salt "fractional-" + unit "flagjack" is the same bucket key.
        assertThat(Bucketing.bucket("fractional-", "flagjack")).isEqualTo((int) ((2682799072L * 100_000) >>> 32));
        assertThat(Bucketing.bucket("fractional-", "flagjack") / 1000).isEqualTo(62);
    }

    @Test
    void theKnownValuesOfDocsBucketingMdHold() {
        assertThat(Bucketing.bucket("fractional-", "flagjack")).isEqualTo(62_463);
        assertThat(Bucketing.hash("db.pool.sizeuser-1")).isEqualTo(10_578_443L);
        assertThat(Bucketing.bucket("db.pool.size", "user-1")).isEqualTo(246);
        assertThat(Bucketing.hash("db.pool.sizeuser-42")).isEqualTo(542_846_569L);
        assertThat(Bucketing.bucket("db.pool.size", "user-42")).isEqualTo(12_639);
        assertThat(Bucketing.hash("db.pool.sizeuser-7")).isEqualTo(1_894_776_690L);
        assertThat(Bucketing.bucket("db.pool.size", "user-7")).isEqualTo(44_116);
        assertThat(Bucketing.variant("db.pool.size", "user-1", 5_000)).isEqualTo(Variant.NEW);
        assertThat(Bucketing.variant("db.pool.size", "user-42", 5_000)).isEqualTo(Variant.OLD);
    }

    @Test
    void hashIsReadAsUnsigned() {
        // 2682799072 > Integer.MAX_VALUE: a signed read would be negative.
        assertThat(Bucketing.hash("fractional-flagjack")).isGreaterThan(Integer.MAX_VALUE);
        for (String unit : units.subList(0, 1000)) {
            assertThat(Bucketing.hash(unit)).isBetween(0L, 0xFFFF_FFFFL);
        }
    }

    @Test
    void bucketIsSaltConcatenatedWithUnit() {
        assertThat(Bucketing.bucket("ab", "c")).isEqualTo(Bucketing.bucket("a", "bc"));
        assertThat(Bucketing.bucket("", "abc")).isEqualTo(Bucketing.bucket("abc", ""));
    }

    @Test
    void bucketIsAlwaysInZeroToOneHundredThousand() {
        for (int bucket : buckets) {
            assertThat(bucket).isBetween(0, Bucketing.BUCKETS - 1);
        }
        assertThat(Bucketing.BUCKETS).isEqualTo(100_000);
    }

    @Test
    void bucketsCoverTheWholeRange() {
        int min = Integer.MAX_VALUE;
        int max = Integer.MIN_VALUE;
        for (int bucket : buckets) {
            min = Math.min(min, bucket);
            max = Math.max(max, bucket);
        }
        assertThat(min).isLessThan(100);
        assertThat(max).isGreaterThan(99_900);
    }

    @Test
    void sameUnitAlwaysGetsTheSameVariant() {
        int[] percents = {0, 1, 1_000, 5_000, 12_345, 50_000, 99_999, 100_000};
        for (int i = 0; i < 2_000; i++) {
            String unit = units.get(i);
            for (int p : percents) {
                Variant first = Bucketing.variant(SALT, unit, p);
                assertThat(Bucketing.variant(SALT, new String(unit.toCharArray()), p)).isEqualTo(first);
                assertThat(Bucketing.isNew(SALT, unit, p)).isEqualTo(first == Variant.NEW);
            }
            assertThat(Bucketing.bucket(SALT, unit)).isEqualTo(buckets[i]);
        }
    }

    @Test
    void unitIsNewExactlyWhenItsBucketIsBelowThePercent() {
        for (int i = 0; i < 5_000; i++) {
            int b = buckets[i];
            String unit = units.get(i);
            assertThat(Bucketing.isNew(SALT, unit, b)).as("bucket %d at percent %d", b, b).isFalse();
            assertThat(Bucketing.isNew(SALT, unit, b + 1)).as("bucket %d at percent %d", b, b + 1).isTrue();
        }
    }

    @Test
    void raisingPercentNeverMovesAUnitBackToOld() {
        Random random = new Random(7L);
        for (int pair = 0; pair < 200; pair++) {
            int low = random.nextInt(Percent.FULL + 1);
            int high = low + random.nextInt(Percent.FULL + 1 - low);
            for (int i = 0; i < 2_000; i++) {
                String unit = units.get(random.nextInt(UNITS));
                if (Bucketing.isNew(SALT, unit, low)) {
                    assertThat(Bucketing.isNew(SALT, unit, high))
                            .as("unit %s new at %s but old at %s", unit, Percent.format(low), Percent.format(high))
                            .isTrue();
                }
            }
        }
    }

    @Test
    void raisingPercentStepByStepOnlyAddsUnits() {
        int[] ramp = {0, 1, 1_000, 5_000, 10_000, 25_000, 50_000, 99_999, 100_000};
        BitSet previous = new BitSet(UNITS);
        for (int p : ramp) {
            BitSet current = new BitSet(UNITS);
            for (int i = 0; i < UNITS; i++) {
                if (Bucketing.isNew(SALT, units.get(i), p)) {
                    current.set(i);
                }
            }
            BitSet lost = (BitSet) previous.clone();
            lost.andNot(current);
            assertThat(lost.cardinality()).as("units moved back to old at %s", Percent.format(p)).isZero();
            previous = current;
        }
    }

    @ParameterizedTest(name = "{0} %")
    @ValueSource(strings = {"1", "5", "25", "50", "99.5", "12.345", "0.5"})
    void shareOnNewIsWithinHalfAPointOfThePercent(String percent) {
        int p = Percent.parse(percent);
        int onNew = 0;
        for (int i = 0; i < UNITS; i++) {
            if (Bucketing.isNew(SALT, units.get(i), p)) {
                onNew++;
            }
        }
        double share = 100.0 * onNew / UNITS;
        assertThat(share).isCloseTo(Double.parseDouble(percent), within(0.5));
    }

    @Test
    void zeroPercentPutsEveryoneOnOld() {
        for (String unit : units) {
            assertThat(Bucketing.variant(SALT, unit, 0)).isEqualTo(Variant.OLD);
        }
    }

    @Test
    void oneHundredPercentPutsEveryoneOnNew() {
        for (String unit : units) {
            assertThat(Bucketing.variant(SALT, unit, Percent.FULL)).isEqualTo(Variant.NEW);
        }
    }

    @Test
    void percentsOutsideTheRangeAreClampedRatherThanWrapped() {
        assertThat(Bucketing.isNew(SALT, "u", -5)).isFalse();
        assertThat(Bucketing.isNew(SALT, "u", Percent.FULL + 5)).isTrue();
    }

    @Test
    void differentKeysBucketIndependently() {
        String otherSalt = "payments.timeout_ms";
        int newA = 0;
        int newB = 0;
        int both = 0;
        for (int i = 0; i < UNITS; i++) {
            boolean a = buckets[i] < 50_000;
            boolean b = Bucketing.isNew(otherSalt, units.get(i), 50_000);
            newA += a ? 1 : 0;
            newB += b ? 1 : 0;
            both += a && b ? 1 : 0;
        }
        // Independent halves overlap on about a quarter of all units, i.e. half of each set.
        assertThat(100.0 * both / newA).isCloseTo(50.0, within(1.0));
        assertThat(100.0 * both / newB).isCloseTo(50.0, within(1.0));
        assertThat(100.0 * both / UNITS).isCloseTo(25.0, within(1.0));
    }

    @Test
    void sameKeyWithSmallPercentsPicksDifferentUnitsUnderDifferentSalts() {
        // The first 1 % of one setting must not be the first 1 % of every other setting.
        int overlap = 0;
        int newA = 0;
        for (int i = 0; i < UNITS; i++) {
            if (buckets[i] < 1_000) {
                newA++;
                if (Bucketing.isNew("payments.timeout_ms", units.get(i), 1_000)) {
                    overlap++;
                }
            }
        }
        assertThat(newA).isPositive();
        assertThat(100.0 * overlap / newA).isLessThan(5.0);
    }

    @Test
    void nonAsciiUnitsAreHashedAsUtf8() {
        String unit = "jürgen-東京-🙂";
        byte[] utf8 = (SALT + unit).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long expected = Integer.toUnsignedLong(
                org.apache.commons.codec.digest.MurmurHash3.hash32x86(utf8, 0, utf8.length, 0));
        assertThat(Bucketing.hash(SALT + unit)).isEqualTo(expected);
        assertThat(Bucketing.bucket(SALT, unit)).isEqualTo((int) ((expected * 100_000) >>> 32));
        assertThat(Bucketing.bucket(SALT, unit)).isEqualTo(Bucketing.bucket(SALT, "jürgen-東京-🙂"));
        // Not the same as hashing the ISO-8859-1 or UTF-16 bytes.
        byte[] latin1 = "jürgen".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(Bucketing.hash("jürgen"))
                .isNotEqualTo(Integer.toUnsignedLong(
                        org.apache.commons.codec.digest.MurmurHash3.hash32x86(latin1, 0, latin1.length, 0)));
    }

    @Test
    void nonAsciiUnitsSpreadLikeAsciiOnes() {
        Random random = new Random(99L);
        int onNew = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            StringBuilder unit = new StringBuilder();
            for (int c = 0; c < 6; c++) {
                unit.appendCodePoint(0x4E00 + random.nextInt(0x5000)); // CJK ideographs
            }
            if (Bucketing.isNew(SALT, unit.toString(), 30_000)) {
                onNew++;
            }
        }
        assertThat(100.0 * onNew / n).isCloseTo(30.0, within(1.5));
    }

    @Test
    void emptyUnitIsAValidUnit() {
        assertThat(Bucketing.bucket(SALT, "")).isEqualTo((int) ((Bucketing.hash(SALT) * 100_000) >>> 32));
    }
}

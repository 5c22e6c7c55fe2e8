package io.crossfade.config;

/**
 * The blend rule that puts a unit on the old or the new side of a migration. It is the rule of
 * flagd's {@code fractional} operation, so every reader (sidecar, client library, other ports)
 * puts each unit on the same side:
 *
 * <ol>
 *   <li>{@code bucketKey = salt + unit}, UTF-8;
 *   <li>{@code h = murmur3_x86_32(bucketKey, seed 0)} read as unsigned 32-bit;
 *   <li>{@code bucket = (h * 100000) >>> 32}, in [0, 100000);
 *   <li>the unit is {@code new} when {@code bucket < percentThousandths}.
 * </ol>
 *
 * <p>Because the new range comes first, raising the percent only ever moves units from old to
 * new. All methods are pure, allocate nothing (the UTF-8 bytes of salt + unit are hashed as they are
 * encoded, see {@link Murmur3Utf8}) and are safe on any thread.
 */
public final class Bucketing {

    /** Number of buckets: one per thousandth of a percent. */
    public static final int BUCKETS = Percent.FULL;

    private Bucketing() {
    }

    /** The unsigned murmur3_x86_32 hash (seed 0) of the UTF-8 bytes of {@code text}. */
    public static long hash(String text) {
        return Integer.toUnsignedLong(Murmur3Utf8.hash(text, "", 0));
    }

    /** The bucket in [0, 100000) of {@code unit} under {@code salt}. */
    public static int bucket(String salt, String unit) {
        long h = Integer.toUnsignedLong(Murmur3Utf8.hash(salt, unit, 0));
        return (int) ((h * BUCKETS) >>> 32);
    }

    /** True when {@code unit} is on the new side of a migration salted {@code salt} at the given percent. */
    public static boolean isNew(String salt, String unit, int percentThousandths) {
        if (percentThousandths <= 0) {
            return false;
        }
        if (percentThousandths >= BUCKETS) {
            return true;
        }
        return bucket(salt, unit) < percentThousandths;
    }

    /** {@link Variant#NEW} or {@link Variant#OLD} for {@code unit}, as {@link #isNew} decides. */
    public static Variant variant(String salt, String unit, int percentThousandths) {
        return isNew(salt, unit, percentThousandths) ? Variant.NEW : Variant.OLD;
    }
}

package io.crossfade.config;

import java.nio.charset.StandardCharsets;
import org.apache.commons.codec.digest.MurmurHash3;

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
 * new. All methods are pure, allocation-light and safe on any thread.
 */
public final class Bucketing {

    /** Number of buckets: one per thousandth of a percent. */
    public static final int BUCKETS = Percent.FULL;

    private Bucketing() {
    }

    /** The unsigned murmur3_x86_32 hash (seed 0) of the UTF-8 bytes of {@code text}. */
    public static long hash(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return Integer.toUnsignedLong(MurmurHash3.hash32x86(bytes, 0, bytes.length, 0));
    }

    /** The bucket in [0, 100000) of {@code unit} under {@code salt}. */
    public static int bucket(String salt, String unit) {
        return (int) ((hash(salt.concat(unit)) * BUCKETS) >>> 32);
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

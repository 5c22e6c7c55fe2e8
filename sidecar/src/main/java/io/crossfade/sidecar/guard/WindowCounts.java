package io.crossfade.sidecar.guard;

import io.crossfade.config.Variant;

/**
 * Outcome counts of one migration's two variants over a guard window. Immutable.
 *
 * @param oldOk successful outcomes of units on the old value
 * @param oldErrors failed outcomes of units on the old value
 * @param newOk successful outcomes of units on the new value
 * @param newErrors failed outcomes of units on the new value
 */
public record WindowCounts(long oldOk, long oldErrors, long newOk, long newErrors) {

    /** No outcomes at all. */
    public static final WindowCounts EMPTY = new WindowCounts(0, 0, 0, 0);

    public WindowCounts {
        if (oldOk < 0 || oldErrors < 0 || newOk < 0 || newErrors < 0) {
            throw new IllegalArgumentException("counts cannot be negative");
        }
    }

    /** Outcomes of the old variant. */
    public long oldTotal() {
        return oldOk + oldErrors;
    }

    /** Outcomes of the new variant. */
    public long newTotal() {
        return newOk + newErrors;
    }

    /** Outcomes of {@code variant} ({@link Variant#OLD} or {@link Variant#NEW}). */
    public long total(Variant variant) {
        return variant == Variant.NEW ? newTotal() : oldTotal();
    }

    /** Errors of {@code variant}. */
    public long errors(Variant variant) {
        return variant == Variant.NEW ? newErrors : oldErrors;
    }

    /** Successes of {@code variant}. */
    public long ok(Variant variant) {
        return variant == Variant.NEW ? newOk : oldOk;
    }

    /** The error rate of {@code variant} in [0, 1], or NaN when it has no outcomes. */
    public double errorRate(Variant variant) {
        long total = total(variant);
        return total == 0 ? Double.NaN : (double) errors(variant) / total;
    }
}

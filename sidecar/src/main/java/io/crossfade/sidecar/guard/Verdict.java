package io.crossfade.sidecar.guard;

import java.util.Objects;

/**
 * What {@link TripRule} concluded from one window of outcomes. Immutable.
 *
 * @param kind the conclusion
 * @param counts the outcomes it was drawn from
 * @param test the two-proportion test, when the ratio branch got as far as running it; else null
 * @param explanation a sentence for people (the audit reason when the guard trips)
 */
public record Verdict(Kind kind, WindowCounts counts, TwoProportionTest.Result test, String explanation) {

    /** The possible conclusions. */
    public enum Kind {
        /** Fewer than {@code minSamples} new-variant outcomes: too early to judge either way. */
        WAITING_FOR_SAMPLES,
        /** Enough outcomes, and the new variant is not worse by the rule. */
        HEALTHY,
        /** The new variant's error rate is above the absolute ceiling {@code maxErrorRate}. */
        TRIP_CEILING,
        /** Above {@code maxRatio} times the old variant's rate, and significantly so. */
        TRIP_RATIO;

        /** True for the two tripping kinds. */
        public boolean trips() {
            return this == TRIP_CEILING || this == TRIP_RATIO;
        }

        /** Lower-case wire name ({@code waiting_for_samples}, {@code healthy}, ...). */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Verdict {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(counts, "counts");
        Objects.requireNonNull(explanation, "explanation");
    }

    /** True when the guard must act. */
    public boolean trips() {
        return kind.trips();
    }
}

package io.crossfade.sidecar.guard;

import java.util.Locale;
import java.util.Objects;

/**
 * What {@link TripDecision} concluded at one look. Immutable.
 *
 * @param kind the conclusion
 * @param window the outcomes of the guard window it was shown with
 * @param evidence the combined evidence {@code M} that counted towards a halt (1 = none; the
 *     decision trips at {@code 1 / (1 - confidence)})
 * @param toHalt how far the evidence is on the way to a halt, in [0, 1]: {@code ln M / ln(1/alpha)},
 *     clamped
 * @param explanation a sentence for people (the audit reason when the guard trips)
 */
public record Verdict(Kind kind, WindowCounts window, double evidence, double toHalt, String explanation) {

    /** The possible conclusions. */
    public enum Kind {
        /** No trip, and fewer than {@code minSamples} new-variant outcomes in the window for the ratio comparison. */
        WAITING_FOR_SAMPLES,
        /** No trip, with enough outcomes to compare the variants. */
        HEALTHY,
        /** The evidence says the new variant's error rate is above the ceiling {@code maxErrorRate}. */
        TRIP_CEILING,
        /** The evidence says the new variant fails at least {@code maxRatio} times as often as the old one. */
        TRIP_RATIO;

        /** True for the two tripping kinds. */
        public boolean trips() {
            return this == TRIP_CEILING || this == TRIP_RATIO;
        }

        /** Lower-case wire name ({@code waiting_for_samples}, {@code healthy}, ...). */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Verdict {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(explanation, "explanation");
    }

    /** True when the guard must act. */
    public boolean trips() {
        return kind.trips();
    }
}

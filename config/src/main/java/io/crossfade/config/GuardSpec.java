package io.crossfade.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The per-migration rule that halts or rolls back a rollout when the new value's errors spike.
 * The guard grows anytime-valid evidence (likelihood-ratio martingales, see the sidecar's
 * {@code guard.Evidence} and {@code guard.TripDecision}) that the new variant fails more often than
 * the old one, or more often than {@code maxErrorRate}, and trips when it reaches
 * {@code 1 / (1 - confidence)}; a migration that is no worse is halted with probability at most
 * {@code 1 - confidence} over its whole run, however often the guard looks.
 *
 * @param maxErrorRate absolute ceiling on the new variant's error rate, in (0, 1]; default 0.05.
 *     Evidence of a rate above it halts without waiting for {@code minSamples}
 * @param maxRatio a practical-significance floor, at least 1; default 2.0: a halt for "worse than
 *     the old variant" also needs the window's new/old error-rate ratio strictly above it
 * @param minSamples new-variant outcomes the window needs before the ratio comparison may halt; default 200
 * @param window length of the sliding window of the displayed counts and of the two floors, 1 s to
 *     1 h; default 60 s (the evidence spans everything since the migration started running)
 * @param confidence in [0.5, 1); default 0.99: the probability of ever halting a migration that is
 *     no worse is at most {@code 1 - confidence}
 * @param action what to do when it trips; default {@link GuardAction#HALT}
 */
public record GuardSpec(
        double maxErrorRate, double maxRatio, int minSamples, Duration window, double confidence, GuardAction action) {

    /** Defaults that suit a typical web service. */
    public static final GuardSpec DEFAULT = new GuardSpec(0.05, 2.0, 200, Duration.ofSeconds(60), 0.99, GuardAction.HALT);

    public GuardSpec {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(action, "action");
        if (!(maxErrorRate > 0 && maxErrorRate <= 1)) {
            throw new IllegalArgumentException("maxErrorRate must be in (0, 1], got " + maxErrorRate);
        }
        if (!(maxRatio >= 1) || Double.isInfinite(maxRatio)) {
            throw new IllegalArgumentException("maxRatio must be a finite number of at least 1, got " + maxRatio);
        }
        if (minSamples < 1) {
            throw new IllegalArgumentException("minSamples must be at least 1, got " + minSamples);
        }
        if (window.compareTo(Duration.ofSeconds(1)) < 0 || window.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("window must be between 1s and 1h, got " + Durations.format(window));
        }
        if (!(confidence >= 0.5 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in [0.5, 1), got " + confidence);
        }
    }
}

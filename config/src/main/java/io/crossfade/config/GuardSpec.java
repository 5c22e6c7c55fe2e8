package io.crossfade.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
        List<Problem> problems = problems(maxErrorRate, maxRatio, minSamples, window, confidence);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems.stream().map(Problem::message).toList()));
        }
    }

    /**
     * One value outside its range.
     *
     * @param field the component's name, e.g. {@code maxRatio}
     * @param message what is wrong, naming the field, e.g. {@code maxRatio must be a finite number of at least 1, got 0.5}
     */
    public record Problem(String field, String message) {
    }

    /**
     * Every value outside its range, in component order; empty when these values make a valid
     * {@code GuardSpec}. Lets a reader report all of them at once, each at its own field.
     */
    public static List<Problem> problems(double maxErrorRate, double maxRatio, int minSamples, Duration window,
            double confidence) {
        List<Problem> problems = new ArrayList<>();
        if (!(maxErrorRate > 0 && maxErrorRate <= 1)) {
            problems.add(new Problem("maxErrorRate", "maxErrorRate must be in (0, 1], got " + maxErrorRate));
        }
        if (!(maxRatio >= 1) || Double.isInfinite(maxRatio)) {
            problems.add(new Problem("maxRatio", "maxRatio must be a finite number of at least 1, got " + maxRatio));
        }
        if (minSamples < 1) {
            problems.add(new Problem("minSamples", "minSamples must be at least 1, got " + minSamples));
        }
        if (window.compareTo(Duration.ofSeconds(1)) < 0 || window.compareTo(Duration.ofHours(1)) > 0) {
            problems.add(new Problem("window", "window must be between 1s and 1h, got " + Durations.format(window)));
        }
        if (!(confidence >= 0.5 && confidence < 1)) {
            problems.add(new Problem("confidence", "confidence must be in [0.5, 1), got " + confidence));
        }
        return problems;
    }
}

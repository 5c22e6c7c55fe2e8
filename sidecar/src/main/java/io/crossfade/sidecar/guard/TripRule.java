package io.crossfade.sidecar.guard;

import io.crossfade.config.Durations;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.Variant;
import java.math.BigDecimal;
import java.util.Locale;

/**
 * The guard's decision, as a pure function of a migration's {@link GuardSpec} and its window of
 * outcomes. It trips when the new variant has <b>at least</b> {@code minSamples} outcomes and
 * either
 *
 * <ol>
 *   <li>its error rate is <b>strictly above</b> {@code maxErrorRate} (the absolute ceiling), or
 *   <li>its error rate is <b>strictly above</b> {@code maxRatio} times the old variant's, and the
 *       one-sided {@link TwoProportionTest} says it is higher at {@code confidence}.
 * </ol>
 *
 * <p>Boundaries are exact: the rate comparisons are done in decimal on the integer counts
 * ({@code errors > maxErrorRate * total}, {@code newErrors * oldTotal > maxRatio * oldErrors * newTotal}),
 * so 10 errors in 200 against a ceiling of 0.05 does not trip, 11 does. Edge cases:
 *
 * <ul>
 *   <li>no new-variant outcomes, or fewer than {@code minSamples}: waiting, never a trip;
 *   <li>no old-variant outcomes (e.g. at 100 %): nothing to compare with, so only the ceiling applies;
 *   <li>old variant without errors: its rate is 0, any new error is "above the ratio", and the test
 *       decides (Fisher's exact test when errors are that rare, so one stray error does not trip);
 *   <li>no errors on either side: healthy.
 * </ul>
 */
public final class TripRule {

    private TripRule() {
    }

    /** Applies the rule to {@code counts}. */
    public static Verdict evaluate(GuardSpec spec, WindowCounts counts) {
        long newTotal = counts.newTotal();
        long oldTotal = counts.oldTotal();
        long newErrors = counts.newErrors();
        long oldErrors = counts.oldErrors();
        if (newTotal < spec.minSamples()) {
            return new Verdict(Verdict.Kind.WAITING_FOR_SAMPLES, counts, null, String.format(Locale.ROOT,
                    "waiting for samples: %d of %d new-variant outcomes in the last %s", newTotal,
                    spec.minSamples(), window(spec)));
        }
        String rates = rates(counts);
        if (decimal(newErrors).compareTo(decimal(spec.maxErrorRate()).multiply(decimal(newTotal))) > 0) {
            return new Verdict(Verdict.Kind.TRIP_CEILING, counts, null, String.format(Locale.ROOT,
                    "new variant's error rate is above maxErrorRate %s: %s in the last %s",
                    percent(spec.maxErrorRate()), rates, window(spec)));
        }
        if (oldTotal == 0) {
            return new Verdict(Verdict.Kind.HEALTHY, counts, null, String.format(Locale.ROOT,
                    "healthy: %s, at most maxErrorRate %s; no old-variant outcomes to compare with in the last %s",
                    rates, percent(spec.maxErrorRate()), window(spec)));
        }
        BigDecimal newSide = decimal(newErrors).multiply(decimal(oldTotal));
        BigDecimal oldSide = decimal(spec.maxRatio()).multiply(decimal(oldErrors)).multiply(decimal(newTotal));
        if (newSide.compareTo(oldSide) <= 0) {
            return new Verdict(Verdict.Kind.HEALTHY, counts, null, String.format(Locale.ROOT,
                    "healthy: %s in the last %s (ceiling %s, ratio limit %s)", rates, window(spec),
                    percent(spec.maxErrorRate()), ratio(spec.maxRatio())));
        }
        TwoProportionTest.Result test = TwoProportionTest.newWorseThanOld(newErrors, newTotal, oldErrors, oldTotal,
                spec.confidence());
        String ratioText = oldErrors == 0
                ? "the new variant has errors and the old one none, above any maxRatio"
                : String.format(Locale.ROOT, "the new variant's error rate is %.1fx the old one's, above maxRatio %s",
                        (double) newErrors * oldTotal / ((double) oldErrors * newTotal), ratio(spec.maxRatio()));
        if (test.significant()) {
            return new Verdict(Verdict.Kind.TRIP_RATIO, counts, test, String.format(Locale.ROOT,
                    "%s, and significantly so (%s, one-sided at %s confidence): %s in the last %s", ratioText,
                    test.describe(), percent(spec.confidence()), rates, window(spec)));
        }
        return new Verdict(Verdict.Kind.HEALTHY, counts, test, String.format(Locale.ROOT,
                "healthy: %s in the last %s; %s, but not significantly so (%s, one-sided at %s confidence)", rates,
                window(spec), ratioText, test.describe(), percent(spec.confidence())));
    }

    /** "new 30.00 % (60 of 200) vs old 1.00 % (10 of 1000)". */
    static String rates(WindowCounts counts) {
        return "new " + percent(counts.newErrors(), counts.newTotal()) + " vs old "
                + percent(counts.oldErrors(), counts.oldTotal());
    }

    private static String percent(long errors, long total) {
        if (total == 0) {
            return "n/a (0 outcomes)";
        }
        return String.format(Locale.ROOT, "%.2f %% (%d of %d)", 100.0 * errors / total, errors, total);
    }

    private static String percent(double fraction) {
        return decimal(fraction).movePointRight(2).stripTrailingZeros().toPlainString() + " %";
    }

    private static String ratio(double ratio) {
        return decimal(ratio).stripTrailingZeros().toPlainString();
    }

    private static String window(GuardSpec spec) {
        return Durations.format(spec.window());
    }

    private static BigDecimal decimal(long value) {
        return BigDecimal.valueOf(value);
    }

    /** The decimal the number was written as (shortest repr), so 0.05 means exactly 5/100. */
    private static BigDecimal decimal(double value) {
        return BigDecimal.valueOf(value);
    }

    /** The error rate of {@code variant}, or null without outcomes; for JSON views. */
    static Double rate(WindowCounts counts, Variant variant) {
        double r = counts.errorRate(variant);
        return Double.isNaN(r) ? null : r;
    }
}

package io.crossfade.sidecar.guard;

import io.crossfade.config.Durations;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.Variant;
import java.math.BigDecimal;
import java.util.Locale;

/**
 * The guard's trip decision, a pure function of the migration's {@link GuardSpec}, its
 * {@link Evidence} (grown from per-look delta counts, so pooled fleet counts fit as they are) and
 * the outcomes in its guard window (for the {@code minSamples} floor and the display).
 *
 * <p>With {@code alpha = 1 - confidence}, the guard trips when
 *
 * <pre>  M = (ceiling + ratio') / 2  >=  1 / alpha,   ratio' = floors ? ratio : min(ratio, 1)</pre>
 *
 * where {@code ceiling} and {@code ratio} are the two martingales of {@link Evidence}, and the
 * floors hold when the window has at least {@code minSamples} new-variant outcomes and the data do
 * not show the ratio to be below {@code maxRatio}: the upper end of the 95 % interval of the
 * new/old error-rate ratio since the evidence started ({@link Evidence#ratioUpperBound()},
 * Mantel-Haenszel over the looks) is at least {@code maxRatio}.
 *
 * <p>Why an interval over the evidence's span, not a point estimate over the window (the floor
 * until now)? A 60 s window of a 3x regression at 200 req/s holds only about 36 new-variant errors:
 * in one simulated run of a thousand its estimate sat at or below 2x for three minutes, holding
 * back a halt the evidence had called two minutes earlier. And the other way, looked at five times
 * a second for hours, a 1.2x regression's window estimate crosses 2x now and then, so almost every
 * 1.2x regression was halted within two hours: the floor held back nothing. The interval since the
 * start narrows as the evidence grows: early, when a 3x regression can look like 1.8x by chance,
 * it still reaches 2x; once the data show 1.2x or 1.5x for sure, it holds the halt back for good.
 * BENCHMARKS.md, "The guard", has the figures.
 *
 * <p>Validity: the floors only ever lower {@code M} ({@code ratio' <= ratio}; with no evidence
 * {@code M} is 1, not 1/2), so {@code M <= (ceiling + ratio) / 2}, the average of two nonnegative
 * supermartingales starting at 1 under H0. By Ville's inequality, for a migration whose new variant
 * fails no more often than the old one and stays at or below the ceiling, the probability that
 * {@code M} <i>ever</i> reaches {@code 1 / alpha} is at most {@code alpha}, however often it looks,
 * however the percent moves, and whatever the floors are computed from.
 *
 * <p>"How far": {@code toHalt = clamp(ln M / ln(1/alpha), 0, 1)}, so 0 % is no evidence at all
 * ({@code M <= 1}) and 100 % a halt.
 */
public final class TripDecision {

    private TripDecision() {
    }

    /**
     * Decides at one look.
     *
     * @param spec the migration's guard rule
     * @param evidence the evidence since it started, including this look's counts
     * @param window the outcomes in the guard window at this look
     */
    public static Verdict decide(GuardSpec spec, Evidence evidence, WindowCounts window) {
        double logThreshold = -Math.log(1 - spec.confidence());
        boolean enough = window.newTotal() >= spec.minSamples();
        double upper = evidence.ratioUpperBound();
        boolean floors = enough && !(upper < spec.maxRatio()); // NaN (no errors yet) holds nothing back
        double logCeiling = evidence.logCeiling();
        double logRatio = evidence.logRatio();
        double logM = logSumHalf(logCeiling, floors ? logRatio : Math.min(logRatio, 0));
        double toHalt = Math.max(0, Math.min(1, logM / logThreshold));
        String rates = rates(window) + " in the last " + Durations.format(spec.window());
        String way = String.format(Locale.ROOT, "evidence %s of the way to a halt", percentOfTheWay(toHalt));
        if (logM >= logThreshold) {
            // named after the ceiling whenever it would trip on its own: the plainer reason
            boolean byCeiling = !floors || logCeiling - Math.log(2) >= logThreshold;
            String strength = String.format(Locale.ROOT, "evidence %.3g >= %.3g at %s confidence", Math.exp(logM),
                    Math.exp(logThreshold), percent(spec.confidence()));
            if (byCeiling) {
                return new Verdict(Verdict.Kind.TRIP_CEILING, window, Math.exp(logM), 1, String.format(Locale.ROOT,
                        "the new variant's error rate is above maxErrorRate %s (%s; new %s since the evidence"
                                + " started): %s", percent(spec.maxErrorRate()), strength,
                        count(evidence.newErrors(), evidence.newOutcomes()), rates));
            }
            return new Verdict(Verdict.Kind.TRIP_RATIO, window, Math.exp(logM), 1, String.format(Locale.ROOT,
                    "the new variant fails more often than the old one, %s since the evidence started%s"
                            + " (%s): %s",
                    ratioText(evidence.ratioEstimate()), Double.isInfinite(upper) ? ""
                            : String.format(Locale.ROOT, ", up to %.1fx at 95 %%, reaching maxRatio %s", upper,
                                    plain(spec.maxRatio())),
                    strength, rates));
        }
        Verdict.Kind kind = enough ? Verdict.Kind.HEALTHY : Verdict.Kind.WAITING_FOR_SAMPLES;
        StringBuilder text = new StringBuilder(kind == Verdict.Kind.HEALTHY ? "healthy: " : "waiting for samples: ");
        if (!enough) {
            text.append(window.newTotal()).append(" of ").append(spec.minSamples())
                    .append(" new-variant outcomes in the window to compare the variants; ");
        }
        text.append(way).append("; ").append(rates);
        double ungated = Math.max(0, Math.min(1, logSumHalf(logCeiling, logRatio) / logThreshold));
        if (!floors && ungated >= toHalt + 0.01) {
            // the floors hold back evidence of a higher rate: say how much, and why
            text.append("; the ratio evidence would put it at ").append(percentOfTheWay(ungated)).append(", but ");
            if (!enough) {
                text.append("the window has too few new-variant outcomes to trust the ratio");
            } else {
                text.append(String.format(Locale.ROOT, "%s since the evidence started (at most %.1fx at 95 %%)"
                        + " is within maxRatio %s", ratioText(evidence.ratioEstimate()), upper,
                        plain(spec.maxRatio())));
            }
        }
        return new Verdict(kind, window, Math.exp(logM), toHalt, text.toString());
    }

    /** ln((e^a + e^b) / 2) without overflow. */
    private static double logSumHalf(double a, double b) {
        double max = Math.max(a, b);
        return max + Math.log((Math.exp(a - max) + Math.exp(b - max)) / 2);
    }

    /** "37 %": whole percent, rounded down, so 100 % only at a halt. */
    static String percentOfTheWay(double toHalt) {
        return (int) Math.floor(toHalt * 100 + 1e-9) + " %";
    }

    /** "3.0x the old variant's error rate" from {@link Evidence#ratioEstimate()}. */
    private static String ratioText(double ratio) {
        if (Double.isNaN(ratio)) {
            return "with too few errors to estimate by how much";
        }
        if (Double.isInfinite(ratio)) {
            return "with errors where the old variant has none";
        }
        return String.format(Locale.ROOT, "%.1fx the old variant's error rate", ratio);
    }



    /** "new 1.90 % (38 of 2000) vs old 1.00 % (180 of 18000)". */
    static String rates(WindowCounts counts) {
        return "new " + count(counts.newErrors(), counts.newTotal()) + " vs old "
                + count(counts.oldErrors(), counts.oldTotal());
    }

    private static String count(long errors, long total) {
        if (total == 0) {
            return "n/a (0 outcomes)";
        }
        return String.format(Locale.ROOT, "%.2f %% (%d of %d)", 100.0 * errors / total, errors, total);
    }

    private static String percent(double fraction) {
        return BigDecimal.valueOf(fraction).movePointRight(2).stripTrailingZeros().toPlainString() + " %";
    }

    private static String plain(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    /** The error rate of {@code variant}, or null without outcomes; for JSON views. */
    static Double rate(WindowCounts counts, Variant variant) {
        double r = counts.errorRate(variant);
        return Double.isNaN(r) ? null : r;
    }
}

package io.crossfade.sidecar.guard;

import io.crossfade.config.Durations;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.Variant;
import java.math.BigDecimal;
import java.util.Locale;

/**
 * The guard's trip decision, a pure function of the migration's {@link GuardSpec}, its
 * {@link Evidence} (grown from per-look delta counts, so pooled fleet counts fit as they are) and
 * the outcomes in its guard window (for the practical-significance floor and the display).
 *
 * <p>With {@code alpha = 1 - confidence}, the guard trips when
 *
 * <pre>  M = (ceiling + ratio') / 2  >=  1 / alpha,   ratio' = gate ? ratio : min(ratio, 1)</pre>
 *
 * where {@code ceiling} and {@code ratio} are the two martingales of {@link Evidence}, and
 * {@code gate} holds only when the window has at least {@code minSamples} new-variant outcomes
 * and the window's estimated error-rate ratio new/old is <b>strictly above</b> {@code maxRatio}
 * (exact decimal arithmetic on the counts: {@code eNew * nOld > maxRatio * eOld * nNew}). The
 * average of two supermartingales is one, and the gate only ever lowers {@code M} (so that with no
 * evidence {@code M} is 1, not 1/2, a closed gate counts the ratio part as at most 1), so for a
 * migration whose new variant fails no more often than the old one and stays at or below the
 * ceiling, the probability that the guard <i>ever</i> trips is at most {@code alpha} (Ville's
 * inequality), however often it looks and however the percent moves.
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
        boolean aboveRatio = enough && aboveMaxRatio(spec, window);
        double logCeiling = evidence.logCeiling();
        double logRatio = evidence.logRatio();
        double logM = logSumHalf(logCeiling, aboveRatio ? logRatio : Math.min(logRatio, 0));
        double toHalt = Math.max(0, Math.min(1, logM / logThreshold));
        String rates = rates(window) + " in the last " + Durations.format(spec.window());
        String way = String.format(Locale.ROOT, "evidence %s of the way to a halt", percentOfTheWay(toHalt));
        if (logM >= logThreshold) {
            // named after the ceiling whenever it would trip on its own: the plainer reason
            boolean byCeiling = !aboveRatio || logCeiling - Math.log(2) >= logThreshold;
            String strength = String.format(Locale.ROOT, "evidence %.3g >= %.3g at %s confidence", Math.exp(logM),
                    Math.exp(logThreshold), percent(spec.confidence()));
            if (byCeiling) {
                return new Verdict(Verdict.Kind.TRIP_CEILING, window, Math.exp(logM), 1, String.format(Locale.ROOT,
                        "the new variant's error rate is above maxErrorRate %s (%s; new %s since the evidence"
                                + " started): %s", percent(spec.maxErrorRate()), strength,
                        count(evidence.newErrors(), evidence.newOutcomes()), rates));
            }
            return new Verdict(Verdict.Kind.TRIP_RATIO, window, Math.exp(logM), 1, String.format(Locale.ROOT,
                    "the new variant fails more often than the old one, %s, above maxRatio %s (%s): %s",
                    ratioText(window), plain(spec.maxRatio()), strength, rates));
        }
        Verdict.Kind kind = enough ? Verdict.Kind.HEALTHY : Verdict.Kind.WAITING_FOR_SAMPLES;
        StringBuilder text = new StringBuilder(kind == Verdict.Kind.HEALTHY ? "healthy: " : "waiting for samples: ");
        if (!enough) {
            text.append(window.newTotal()).append(" of ").append(spec.minSamples())
                    .append(" new-variant outcomes in the window to compare the variants; ");
        }
        text.append(way).append("; ").append(rates);
        double ungated = Math.max(0, Math.min(1, logSumHalf(logCeiling, logRatio) / logThreshold));
        if (!aboveRatio && ungated >= toHalt + 0.01) {
            // the floors hold back evidence of a higher error rate: say how much, and why
            text.append("; the ratio evidence would put it at ").append(percentOfTheWay(ungated)).append(", but ");
            if (!enough) {
                text.append("the window has too few new-variant outcomes to trust the ratio");
            } else if (window.oldTotal() == 0) {
                text.append("the window has no old-variant outcomes to compare with");
            } else {
                text.append(window.newErrors() == 0 ? "the window shows no new-variant errors" : ratioText(window))
                        .append(window.newErrors() == 0 ? "" : " is within maxRatio " + plain(spec.maxRatio()));
            }
        }
        return new Verdict(kind, window, Math.exp(logM), toHalt, text.toString());
    }

    /** ln((e^a + e^b) / 2) without overflow. */
    private static double logSumHalf(double a, double b) {
        double max = Math.max(a, b);
        return max + Math.log((Math.exp(a - max) + Math.exp(b - max)) / 2);
    }

    /** True when the window's new/old error-rate ratio is strictly above maxRatio, in exact decimals. */
    static boolean aboveMaxRatio(GuardSpec spec, WindowCounts window) {
        if (window.oldTotal() == 0 || window.newErrors() == 0) {
            return false;
        }
        BigDecimal newSide = BigDecimal.valueOf(window.newErrors()).multiply(BigDecimal.valueOf(window.oldTotal()));
        BigDecimal oldSide = BigDecimal.valueOf(spec.maxRatio()).multiply(BigDecimal.valueOf(window.oldErrors()))
                .multiply(BigDecimal.valueOf(window.newTotal()));
        return newSide.compareTo(oldSide) > 0;
    }

    /** "37 %": whole percent, rounded down, so 100 % only at a halt. */
    static String percentOfTheWay(double toHalt) {
        return (int) Math.floor(toHalt * 100 + 1e-9) + " %";
    }

    private static String ratioText(WindowCounts w) {
        if (w.oldErrors() == 0) {
            return "with errors where the old variant has none";
        }
        return String.format(Locale.ROOT, "%.1fx the old variant's error rate",
                (double) w.newErrors() * w.oldTotal() / ((double) w.oldErrors() * w.newTotal()));
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

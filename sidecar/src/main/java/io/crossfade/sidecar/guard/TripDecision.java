package io.crossfade.sidecar.guard;

import io.crossfade.config.Durations;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.Variant;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;

/**
 * The guard's trip decision, a pure function of the migration's {@link GuardSpec}, its
 * {@link ChangeEvidence} judgements (one for per-unit outcomes, judged with the unit as the sample;
 * one for aggregated counts, judged as independent requests) and the outcomes in its guard window
 * (shown beside the decision).
 *
 * <p>With {@code alpha = 1 - confidence}, each start {@code b} of a detector combines its two
 * tests as {@code e_b = (ceiling + ratio') / 2}, where {@code ratio' = ratio} only while the
 * floors hold: the new side has at least {@code minSamples} outcomes since the start, and the data
 * since the start do not show the new/old ratio to be below {@code maxRatio} (the upper end of its
 * 95 % interval, Mantel-Haenszel over the looks, widened by the design effect, is at least
 * {@code maxRatio}); else {@code ratio' = min(ratio, 1)}. The floors only ever lower the evidence,
 * so they play no part in validity. The detector {@code E = sum_b w_b e_b} trips at
 * {@code 1/alpha} (see {@link ChangeEvidence} for what that promises). When a migration has both
 * kinds of outcomes the two detectors are averaged: the average of two e-processes is one.
 *
 * <p>"How far": {@code toHalt = clamp(ln E / ln(1/alpha), 0, 1)}.
 */
public final class TripDecision {

    private TripDecision() {
    }

    /**
     * Decides at one look.
     *
     * @param spec the migration's guard rule
     * @param units the per-unit detector's judgement at this look
     * @param requests the aggregated-counts detector's judgement at this look
     * @param window the outcomes in the guard window at this look (shown, not judged)
     */
    public static Verdict decide(GuardSpec spec, ChangeEvidence.Judgement units, ChangeEvidence.Judgement requests,
            WindowCounts window) {
        return decide(spec, units, requests, null, window, null);
    }

    /**
     * Decides at one look, with the units a cohort placed judged apart: they were not randomised, so
     * they never enter the comparison; the ceiling test of those on new ({@code cohort}, whose ratio
     * test never runs) is averaged with the other detectors like they are with each other (the
     * average of e-processes is one). A migration whose only outcomes come from cohort-placed units
     * (a cohort-only rollout: percent 0 with {@code include}) is judged by that ceiling alone, and
     * the verdict says so.
     *
     * @param cohort the cohort ceiling test's judgement, or null
     * @param cohortWindow the cohort-placed units' outcomes in the guard window (shown), or null
     */
    public static Verdict decide(GuardSpec spec, ChangeEvidence.Judgement units, ChangeEvidence.Judgement requests,
            ChangeEvidence.Judgement cohort, WindowCounts window, WindowCounts cohortWindow) {
        boolean hasUnits = units.outcomes() > 0;
        boolean hasRequests = requests.outcomes() > 0;
        boolean hasCohort = cohort != null && cohort.outcomes() > 0;
        double logThreshold = units.logThreshold();
        double logE;
        ChangeEvidence.Judgement main;
        if (hasUnits && hasRequests) {
            logE = ChangeEvidence.logSumHalf(units.logE(), requests.logE());
            main = units.logE() >= requests.logE() ? units : requests;
        } else {
            main = hasRequests ? requests : units;
            logE = main.logE();
        }
        if (hasCohort) {
            int others = (hasUnits ? 1 : 0) + (hasRequests ? 1 : 0);
            // the mean of the present detectors' e-values: (others * mean + cohort) / (others + 1)
            logE = others == 0 ? cohort.logE() : logMean(logE, others, cohort.logE());
            if (others == 0 || cohort.logE() > main.logE()) {
                return cohortVerdict(spec, cohort, others == 0, logE, logThreshold, window, cohortWindow);
            }
        }
        double toHalt = Math.max(0, Math.min(1, logE / logThreshold));
        String rates = rates(window) + " in the last " + Durations.forPeople(spec.window())
                + (hasCohort ? cohortRates(cohortWindow) : "");
        ChangeEvidence.StartJudgement lead = main.leading();
        if (logE >= logThreshold) {
            // named after the ceiling whenever it would trip on its own: the plainer reason
            boolean byCeiling = lead.logCeiling() >= lead.logRatio()
                    || Math.log(lead.weight() / 2) + lead.logCeiling() >= logThreshold;
            String over = " over the last " + span(lead.spanMillis());
            String strength = String.format(Locale.ROOT, "evidence %s past the line at %s confidence%s", farPast(logE,
                    logThreshold), percent(spec.confidence()), sampleNote(main, lead));
            if (byCeiling) {
                return new Verdict(Verdict.Kind.TRIP_CEILING, window, Math.exp(logE), 1, String.format(Locale.ROOT,
                        "the new value's error rate is above the %s limit (new %s%s; %s): %s",
                        percent(spec.maxErrorRate()), count(lead.counts().newErrors(), lead.counts().newTotal()), over,
                        strength, rates));
            }
            return new Verdict(Verdict.Kind.TRIP_RATIO, window, Math.exp(logE), 1, String.format(Locale.ROOT,
                    "the new value fails more often than the old one, %s%s%s (%s): %s",
                    ratioText(lead.ratioEstimate()), over, Double.isInfinite(lead.ratioUpper()) ? ""
                            : String.format(Locale.ROOT, ", up to %.1fx at 95 %%, reaching maxRatio %s",
                                    lead.ratioUpper(), plain(spec.maxRatio())),
                    strength, rates));
        }
        ChangeEvidence.StartJudgement first = main.first();
        String cannot = cannotJudge(spec, main, first);
        Verdict.Kind kind = cannot == null ? Verdict.Kind.HEALTHY : Verdict.Kind.WAITING_FOR_SAMPLES;
        StringBuilder text = new StringBuilder(cannot == null ? "healthy: " : "waiting: " + cannot + "; ");
        text.append("evidence ").append(percentOfTheWay(toHalt)).append(" of the way to a halt; ").append(rates);
        if (cannot == null && lead.logRatioUngated() > lead.logRatio() + 0.01 && lead.withinMaxRatio()) {
            text.append(String.format(Locale.ROOT, "; the new value fails more often, but %s over the last %s"
                    + " (at most %.1fx at 95 %%) is within maxRatio %s", ratioText(lead.ratioEstimate()),
                    span(lead.spanMillis()), lead.ratioUpper(),
                    plain(spec.maxRatio())));
        }
        return new Verdict(kind, window, Math.exp(logE), toHalt, text.toString());
    }

    /** ln of {@code (n * e^logMeanOfN + e^logOther) / (n + 1)}, without overflow. */
    private static double logMean(double logMeanOfN, int n, double logOther) {
        double max = Math.max(logMeanOfN, logOther);
        return max + Math.log((n * Math.exp(logMeanOfN - max) + Math.exp(logOther - max)) / (n + 1));
    }

    /** The verdict when the cohort's ceiling test leads (or is all there is: a cohort-only rollout). */
    private static Verdict cohortVerdict(GuardSpec spec, ChangeEvidence.Judgement cohort, boolean only, double logE,
            double logThreshold, WindowCounts window, WindowCounts cohortWindow) {
        double toHalt = Math.max(0, Math.min(1, logE / logThreshold));
        String judged = only ? "cohort-only rollout, judged by the ceiling alone (no units placed by the percent"
                + " report outcomes)" : "units placed by a cohort, judged by the ceiling alone";
        String rates = (only ? "" : rates(window) + " in the last " + Durations.forPeople(spec.window()))
                + cohortRates(cohortWindow);
        if (rates.startsWith("; ")) {
            rates = rates.substring(2);
        }
        ChangeEvidence.StartJudgement lead = cohort.leading();
        if (logE >= logThreshold) {
            return new Verdict(Verdict.Kind.TRIP_CEILING, window, Math.exp(logE), 1, String.format(Locale.ROOT,
                    "the new value's error rate for the units a cohort included is above the %s limit (included on"
                    + " new %s over the last %s; evidence %s past the line at %s confidence; %s): %s",
                    percent(spec.maxErrorRate()), count(lead.counts().newErrors(), lead.counts().newTotal()),
                    span(lead.spanMillis()), farPast(logE, logThreshold), percent(spec.confidence()), judged, rates));
        }
        ChangeEvidence.StartJudgement first = cohort.first();
        boolean waiting = !first.unitsForCeiling();
        String text = (waiting ? String.format(Locale.ROOT, "waiting: %s; %d %s on the new value: too few to judge"
                + " the ceiling (it needs outcomes from %d units or more); ", judged, first.newGroups(),
                first.newGroups() == 1 ? "unit" : "units", ChangeEvidence.MIN_GROUPS) : "healthy: " + judged + "; ")
                + "evidence " + percentOfTheWay(toHalt) + " of the way to a halt; " + rates;
        return new Verdict(waiting && only ? Verdict.Kind.WAITING_FOR_SAMPLES : Verdict.Kind.HEALTHY, window,
                Math.exp(logE), toHalt, text);
    }

    /** "; placed by a cohort (not compared): included on new 2.00 % (2 of 100), excluded on old ...". */
    private static String cohortRates(WindowCounts c) {
        if (c == null || c.oldTotal() + c.newTotal() == 0) {
            return "";
        }
        return "; placed by a cohort (not compared): included on new " + count(c.newErrors(), c.newTotal())
                + ", excluded on old " + count(c.oldErrors(), c.oldTotal());
    }

    /**
     * What the guard cannot judge yet, in words, or null when it judges both tests: too few units
     * on a side, or too few new-side outcomes since the evidence began.
     */
    static String cannotJudge(GuardSpec spec, ChangeEvidence.Judgement main, ChangeEvidence.StartJudgement first) {
        if (main.outcomes() == 0) {
            return "no outcomes reported yet";
        }
        if (!first.unitsForCeiling()) {
            return String.format(Locale.ROOT, "%d %s on the new value: too few to judge (the guard needs outcomes"
                    + " from %d units or more on each side; reads without a unit count the instance as the unit)",
                    first.newGroups(), first.newGroups() == 1 ? "unit" : "units", ChangeEvidence.MIN_GROUPS);
        }
        if (!first.unitsForRatio()) {
            return String.format(Locale.ROOT, "%d %s on the old value: too few to compare the values (the ceiling"
                    + " is judged)", first.oldGroups(), first.oldGroups() == 1 ? "unit" : "units");
        }
        if (!first.enoughSamples()) {
            return String.format(Locale.ROOT, "%d of %d new-value outcomes since the evidence began to compare the"
                    + " values (the ceiling is judged)", first.counts().newTotal(), spec.minSamples());
        }
        return null;
    }

    private static String sampleNote(ChangeEvidence.Judgement main, ChangeEvidence.StartJudgement lead) {
        if (main.sample() == ChangeEvidence.Sample.REQUESTS) {
            return "; aggregated counts, judged as independent requests";
        }
        return String.format(Locale.ROOT, "; units as the sample, %d+ on new", lead.newGroups());
    }

    /** "2m 30s"; "<1s" for a start younger than a second. */
    static String span(long millis) {
        return millis < 1000 ? "<1s" : Durations.forPeople(Duration.ofMillis(millis));
    }

    /** "1.6x", or a power of ten past the line: never an 18-digit number. */
    static String farPast(double logE, double logThreshold) {
        double times = Math.exp(logE - logThreshold);
        if (!Double.isFinite(times) || times >= 1e6) {
            return String.format(Locale.ROOT, "10^%d times", (int) Math.floor((logE - logThreshold) / Math.log(10)));
        }
        return String.format(Locale.ROOT, "%.3gx", times);
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
            return "with errors where the old value has none";
        }
        return String.format(Locale.ROOT, "%.1fx the old value's error rate", ratio);
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

package io.crossfade.sidecar.guard;

import io.crossfade.config.GuardSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The guard's evidence that a migration's new variant became worse than it may be, at any time
 * since the migration started: an e-detector (Shin, Ramdas and Rinaldo, "E-detectors: a
 * nonparametric framework for sequential change detection", 2023) built from the likelihood-ratio
 * tests of {@link Evidence}, each started afresh at a <i>start</i>, and judged on the unit as the
 * sample.
 *
 * <h2>Starts: a late regression is judged on the data since it began</h2>
 * The evidence opens a start when it begins, and then one every <i>block</i>: half the guard
 * window, at least {@link #MIN_BLOCK} and at most {@link #MAX_BLOCK} (30 s for the default 60 s
 * window). Each start
 * {@code b} carries its own {@link Evidence} grown from the outcomes since it opened, and a weight
 * {@code w_b}: {@value #FIRST_WEIGHT} for the first, and {@code (1 - FIRST_WEIGHT) * block / PERIOD}
 * for each later one, so the starts opened in the first {@link #PERIOD} weigh 1 together. The
 * detector is the weighted sum {@code E = sum_b w_b e_b}, where {@code e_b} is start {@code b}'s
 * combined e-value (see {@link TripDecision}); the guard trips when {@code E >= 1/alpha}.
 * Each {@code e_b} is a test supermartingale from its start under H0, so {@code E} is a
 * nonnegative supermartingale plus the weight of the starts opened so far, and Doob's maximal
 * inequality gives: <b>the probability that a migration whose new variant is no worse is ever
 * halted within its first {@code D} periods of running is at most {@code alpha (1 + D) / 2}</b>
 * (at most {@code alpha} in the first 24 hours, half of it again every further day).
 * A regression that starts after hours of healthy running is judged by the first start opened
 * after it began, which holds no healthy data: it needs {@code ln(1 / (alpha w_b))} of evidence
 * instead of {@code ln(1 / (alpha w_0))}, about 13 instead of 5 at the defaults, which is seconds
 * to a minute more at ordinary traffic. Starts older than the most recent {@link #RECENT_STARTS}
 * are thinned to ages at least doubling (dropping a start only lowers {@code E}), so memory stays
 * at about {@code RECENT_STARTS + log2(age / block)} starts.
 *
 * <h2>The unit is the sample</h2>
 * Outcomes within a unit are correlated (heavy users, retries, one client's storm), and units are
 * what the bucketing randomises. Per-unit outcomes are therefore counted per side and per
 * {@link UnitGroups group}, the groups formed by a hash independent of the side. For each start,
 * the spread of the groups' counts gives a cluster-robust (linearised) variance of each side's
 * error rate; its ratio to the variance independent requests would have is the design effect
 * {@code d >= 1}. The start's log likelihood ratios are divided by {@code d} before they are mixed
 * (the Rao-Scott correction of tests on clustered counts): with independent requests {@code d} is
 * about 1 and nothing changes; one unit's storm of 500 errors makes {@code d} about as large as
 * those errors' weight, so it moves the evidence by about one unit's worth. A start is judged only
 * while each side it compares has outcomes in at least {@link #MIN_GROUPS} groups, so at least as
 * many units: four instances reading without a unit are four units, too few to judge.
 *
 * <p>Aggregated counts ({@link Sample#REQUESTS}) carry no units: they are judged as independent
 * requests ({@code d = 1}), the same detector otherwise.
 *
 * <p>Thread-safety: not thread-safe; the guard's thread (or one simulated run) owns it. The
 * {@link Judgement}s it returns are immutable.
 */
public final class ChangeEvidence {

    /** What the counts are samples of. */
    public enum Sample {
        /** Per-unit outcomes counted per side and group: judged with the design effect. */
        UNITS,
        /** Aggregated counts without units: judged as independent requests. */
        REQUESTS
    }

    /** The shortest time between two starts. */
    public static final Duration MIN_BLOCK = Duration.ofSeconds(1);

    /** The longest time between two starts. */
    public static final Duration MAX_BLOCK = Duration.ofMinutes(5);

    /** The period whose later starts weigh {@code 1 - FIRST_WEIGHT} together. */
    public static final Duration PERIOD = Duration.ofHours(24);

    /** The first start's weight: the evidence from the migration's start. */
    public static final double FIRST_WEIGHT = 0.5;

    /** Starts kept whatever their age, besides the first. */
    public static final int RECENT_STARTS = 8;

    /** Groups a side needs outcomes in before a start compares it. */
    public static final int MIN_GROUPS = 12;


    private final Sample sample;
    private final double maxErrorRate;
    private final long[] cumulative = new long[UnitGroups.SIZE];
    private final List<Start> starts = new ArrayList<>();
    private long nextStartMillis;
    private long outcomes;
    private long blockMillis;
    // logUpperBound() of the starts as they are; NaN when a look changed them since
    private double upperBound = Double.NaN;

    /** Per new-side group: the group's errors' share of the ratio test's logs, then of the two MH sums. */
    private static final int PER_GROUP = Evidence.RATIO_GRID.length + 2;

    /** One start: its weight, the counts when it opened, and its evidence since. */
    static final class Start {
        final long openedAt;
        final double weight;
        final double logWeight;
        final long[] base;
        Evidence evidence;
        /** What each new-side group's errors added, so that the group with the most can be taken out. */
        final double[] byGroup;

        Start(long openedAt, double weight, long[] base, Evidence evidence, double[] byGroup) {
            this.openedAt = openedAt;
            this.weight = weight;
            this.logWeight = Math.log(weight);
            this.base = base;
            this.evidence = evidence;
            this.byGroup = byGroup;
        }

        Start(long openedAt, double weight, long[] base, Evidence evidence) {
            this(openedAt, weight, base, evidence, new double[UnitGroups.GROUPS * PER_GROUP]);
        }
    }

    /**
     * Evidence from 1, beginning now.
     *
     * @param sample what the counts are samples of
     * @param maxErrorRate the ceiling, in (0, 1]
     * @param nowMillis the caller's clock (monotonic milliseconds)
     */
    public ChangeEvidence(Sample sample, double maxErrorRate, Duration window, long nowMillis) {
        this.sample = Objects.requireNonNull(sample, "sample");
        this.maxErrorRate = maxErrorRate;
        this.blockMillis = blockFor(window);
        starts.add(new Start(nowMillis, FIRST_WEIGHT, new long[UnitGroups.SIZE], Evidence.start(maxErrorRate)));
        nextStartMillis = nowMillis + blockMillis;
    }

    /** Half the window, within {@link #MIN_BLOCK} and {@link #MAX_BLOCK}, in milliseconds. */
    static long blockFor(Duration window) {
        long half = window.toMillis() / 2;
        return Math.max(MIN_BLOCK.toMillis(), Math.min(MAX_BLOCK.toMillis(), half));
    }

    /**
     * Follows an edited guard window: later starts open every half of it. The starts already open,
     * and their weights, stay as they are.
     */
    public void window(Duration window) {
        long block = blockFor(window);
        if (block != blockMillis) {
            nextStartMillis = Math.min(nextStartMillis, nextStartMillis - blockMillis + block);
            blockMillis = block;
        }
    }

    private double laterWeight() {
        return (1 - FIRST_WEIGHT) * blockMillis / PERIOD.toMillis();
    }

    /**
     * What a detector is, to store with the migration's state and {@link #restore} after a restart
     * or by a new judge: the same test carries on. Immutable; serialised by Jackson.
     *
     * @param sample what the counts are samples of
     * @param maxErrorRate the ceiling
     * @param blockMillis how often a start opens
     * @param outcomes outcomes seen
     * @param cumulative the group counts since the evidence began
     * @param nextStartInMillis how long until the next start opens
     * @param starts the starts kept, oldest first
     */
    public record State(Sample sample, double maxErrorRate, long blockMillis, long outcomes, long[] cumulative,
            long nextStartInMillis, List<StartState> starts) {
    }

    /**
     * One start, stored.
     *
     * @param ageMillis how long ago it opened
     * @param weight its weight
     * @param base the group counts when it opened
     * @param evidence its evidence since
     * @param byGroup what each new-side group's errors added to it
     */
    public record StartState(long ageMillis, double weight, long[] base, Evidence.State evidence, double[] byGroup) {
    }

    /** This detector's state as of {@code nowMillis} (its owner's clock). */
    public State state(long nowMillis) {
        List<StartState> out = new ArrayList<>(starts.size());
        for (Start s : starts) {
            out.add(new StartState(Math.max(0, nowMillis - s.openedAt), s.weight, s.base.clone(), s.evidence.state(),
                    s.byGroup.clone()));
        }
        return new State(sample, maxErrorRate, blockMillis, outcomes, cumulative.clone(),
                Math.max(0, nextStartMillis - nowMillis), List.copyOf(out));
    }

    /**
     * The detector a {@link #state} describes, on a clock now at {@code nowMillis}.
     *
     * @throws IllegalArgumentException when the state is not one this version writes
     */
    public static ChangeEvidence restore(State state, long nowMillis) {
        if (state == null || state.sample() == null || state.cumulative() == null
                || state.cumulative().length != UnitGroups.SIZE || state.starts() == null || state.starts().isEmpty()) {
            throw new IllegalArgumentException("not a stored guard evidence of this version");
        }
        ChangeEvidence out = new ChangeEvidence(state.sample(), state.maxErrorRate(),
                Duration.ofMillis(2 * Math.max(MIN_BLOCK.toMillis(), state.blockMillis())), nowMillis);
        out.starts.clear();
        for (StartState s : state.starts()) {
            if (s.base() == null || s.base().length != UnitGroups.SIZE || !(s.weight() > 0 && s.weight() <= 1)
                    || s.byGroup() == null || s.byGroup().length != UnitGroups.GROUPS * PER_GROUP) {
                throw new IllegalArgumentException("not a stored guard evidence of this version");
            }
            out.starts.add(new Start(nowMillis - s.ageMillis(), s.weight(), s.base().clone(),
                    Evidence.restore(s.evidence()), s.byGroup().clone()));
        }
        System.arraycopy(state.cumulative(), 0, out.cumulative, 0, UnitGroups.SIZE);
        out.outcomes = state.outcomes();
        out.upperBound = Double.NaN;
        out.nextStartMillis = nowMillis + Math.min(out.blockMillis, state.nextStartInMillis());
        return out;
    }

    /** What the counts are samples of. */
    public Sample sample() {
        return sample;
    }

    /** The ceiling the tests were started with. */
    public double maxErrorRate() {
        return maxErrorRate;
    }

    /** Outcomes seen since the evidence began. */
    public long outcomes() {
        return outcomes;
    }

    /** How many starts are kept now (for tests of the memory bound). */
    int startsKept() {
        return starts.size();
    }

    /**
     * One look: the outcomes counted since the previous look, per side and group (for
     * {@link Sample#REQUESTS} only group 0 is read).
     *
     * @param nowMillis the caller's clock, never going back
     * @param delta a group count array ({@link UnitGroups} layout) of this look's outcomes; not kept
     */
    public void look(long nowMillis, long[] delta) {
        WindowCounts counts = UnitGroups.totals(delta);
        long oldN = counts.oldTotal();
        long newN = counts.newTotal();
        if (oldN + newN > 0) {
            upperBound = Double.NaN;
            for (int i = 0; i < cumulative.length; i++) {
                cumulative[i] += delta[i];
            }
            outcomes += oldN + newN;
            Evidence.Look increment = Evidence.Look.of(counts);
            for (Start s : starts) {
                s.evidence = s.evidence.after(increment);
            }
            if (increment.perNewError != null && sample == Sample.UNITS) {
                for (int g = 0; g < UnitGroups.GROUPS; g++) {
                    long e = delta[UnitGroups.index(UnitGroups.NEW, g) + 1];
                    if (e == 0) {
                        continue;
                    }
                    for (Start s : starts) {
                        int at = g * PER_GROUP;
                        for (int k = 0; k < Evidence.RATIO_GRID.length; k++) {
                            s.byGroup[at + k] += e * increment.perNewError[k];
                        }
                        s.byGroup[at + Evidence.RATIO_GRID.length] += e * increment.oldShare;
                        s.byGroup[at + Evidence.RATIO_GRID.length + 1] += e * increment.oldShare * increment.newShare;
                    }
                }
            }
        }
        if (nowMillis >= nextStartMillis) {
            starts.add(new Start(nowMillis, laterWeight(), cumulative.clone(), Evidence.start(maxErrorRate)));
            nextStartMillis = nowMillis + blockMillis;
            upperBound = Double.NaN;
            thin(nowMillis);
        }
    }

    /** Keeps the first start, the most recent ones, and older ones at ages at least doubling. */
    private void thin(long nowMillis) {
        if (starts.size() <= RECENT_STARTS + 2) {
            return;
        }
        List<Start> kept = new ArrayList<>(starts.size());
        long lastAge = -1;
        for (int i = starts.size() - 1; i >= 1; i--) {
            Start s = starts.get(i);
            long age = nowMillis - s.openedAt;
            boolean recent = starts.size() - i <= RECENT_STARTS;
            if (recent || age >= 2 * lastAge) {
                kept.add(s);
                lastAge = age;
            }
        }
        kept.add(starts.get(0));
        java.util.Collections.reverse(kept);
        starts.clear();
        starts.addAll(kept);
    }

    /**
     * An upper bound of {@code ln E} without the design effects and floors, which only lower it:
     * below the threshold nothing can trip, and a caller may skip {@link #judge}. Cheap.
     */
    public double logUpperBound() {
        if (!Double.isNaN(upperBound)) {
            return upperBound;
        }
        double max = Double.NEGATIVE_INFINITY;
        double[] terms = new double[starts.size()];
        for (int i = 0; i < terms.length; i++) {
            Start s = starts.get(i);
            terms[i] = s.logWeight + Math.max(0, s.evidence.logUpperBound());
            max = Math.max(max, terms[i]);
        }
        upperBound = logSumExp(terms, max);
        return upperBound;
    }

    /**
     * An upper bound of {@link #judge}'s {@code ln E}, cheaper where it matters: the starts whose
     * terms cannot matter to the sum are bounded by {@link #logUpperBound}'s terms, the others judged
     * in full. Below the threshold nothing can trip (the simulator's skip).
     */
    public double logBound(GuardSpec rule, long nowMillis) {
        double raw = logUpperBound();
        double threshold = -Math.log(1 - rule.confidence());
        if (raw < threshold) {
            return raw;
        }
        double[] terms = new double[starts.size()];
        double max = Double.NEGATIVE_INFINITY;
        double negligible = threshold - 3 - Math.log(terms.length);
        for (int i = 0; i < terms.length; i++) {
            Start s = starts.get(i);
            double bound = s.logWeight + Math.max(0, s.evidence.logUpperBound());
            terms[i] = bound < negligible ? bound : s.logWeight + judge(s, rule, nowMillis).logE();
            max = Math.max(max, terms[i]);
        }
        return logSumExp(terms, max);
    }

    /**
     * Judges every start under {@code rule} and combines them. Costs one pass over the group
     * counts per start kept (a few thousand additions).
     *
     * @param rule the guard rule in force
     * @param nowMillis the caller's clock, for the starts' spans
     */
    public Judgement judge(GuardSpec rule, long nowMillis) {
        double logThreshold = -Math.log(1 - rule.confidence());
        double[] terms = new double[starts.size()];
        double max = Double.NEGATIVE_INFINITY;
        StartJudgement leading = null;
        StartJudgement first = null;
        for (int i = 0; i < terms.length; i++) {
            Start s = starts.get(i);
            StartJudgement j = judge(s, rule, nowMillis);
            if (i == 0) {
                first = j;
            }
            terms[i] = s.logWeight + j.logE();
            if (terms[i] > max) {
                max = terms[i];
                leading = j;
            }
        }
        double logE = logSumExp(terms, max);
        // with no evidence at all E is the sum of the weights, below 1: shown as none
        double toHalt = Math.max(0, Math.min(1, logE / logThreshold));
        return new Judgement(sample, logE, logThreshold, toHalt, leading, first, outcomes);
    }

    private StartJudgement judge(Start s, GuardSpec rule, long nowMillis) {
        Evidence ev = s.evidence;
        // what the start has seen, shown as it is; the judging below may leave one group out
        WindowCounts seen = new WindowCounts(ev.oldOutcomes() - ev.oldErrors(), ev.oldErrors(),
                ev.newOutcomes() - ev.newErrors(), ev.newErrors());
        long[] since = new long[UnitGroups.SIZE];
        for (int i = 0; i < since.length; i++) {
            since[i] = cumulative[i] - s.base[i];
        }
        if (sample == Sample.UNITS) {
            // One unit's errors are one unit's evidence: one new-side group is judged out, so one
            // client's storm, or one broken heavy user, never halts by itself. Taking the new side's
            // worst group out only ever lowers the new side's rate.
            // The group judged out is the one with the most errors beyond its share of the side's
            // outcomes: a storm, or a broken client; a heavy user failing at the side's rate is not.
            long sideN = 0;
            long sideE = 0;
            for (int g = 0; g < UnitGroups.GROUPS; g++) {
                int i = UnitGroups.index(UnitGroups.NEW, g);
                sideN += since[i];
                sideE += since[i + 1];
            }
            double rate = sideN == 0 ? 0 : (double) sideE / sideN;
            int top = -1;
            double most = 0;
            for (int g = 0; g < UnitGroups.GROUPS; g++) {
                int i = UnitGroups.index(UnitGroups.NEW, g);
                double excess = since[i + 1] - rate * since[i];
                if (since[i + 1] > 0 && excess > most) {
                    most = excess;
                    top = g;
                }
            }
            if (top >= 0) {
                int i = UnitGroups.index(UnitGroups.NEW, top);
                int at = top * PER_GROUP;
                double[] taken = new double[Evidence.RATIO_GRID.length];
                System.arraycopy(s.byGroup, at, taken, 0, taken.length);
                ev = ev.without(since[i], since[i + 1], taken, s.byGroup[at + taken.length],
                        s.byGroup[at + taken.length + 1]);
                since[i] = 0;
                since[i + 1] = 0;
            }
        }
        SideSpread oldSide = SideSpread.of(since, UnitGroups.OLD);
        SideSpread newSide = SideSpread.of(since, UnitGroups.NEW);
        boolean clustered = sample == Sample.UNITS;
        boolean unitsForCeiling = !clustered || newSide.groups >= MIN_GROUPS;
        boolean unitsForRatio = unitsForCeiling && (!clustered || oldSide.groups >= MIN_GROUPS);
        double ratioEffect = 1;
        double ceilingEffect = 1;
        if (clustered) {
            // The comparison's design effect is the robust variance of the difference of the two
            // rates over the variance independent requests would give it, each side at its own rate
            // (the generalised design effect of Rao and Scott). So a regression, which raises the
            // new side's variance with its rate, is not mistaken for clustering; and a side whose
            // rate is known well (many requests) weighs little, however clustered it is.
            double independent = oldSide.independentVariance() + newSide.independentVariance();
            double robust = Math.max(oldSide.robustVariance(), oldSide.independentVariance())
                    + Math.max(newSide.robustVariance(), newSide.independentVariance());
            ratioEffect = independent > 0 ? Math.max(1, robust / independent) : 1;
            ceilingEffect = newSide.designEffect();
        }
        boolean enough = ev.newOutcomes() >= rule.minSamples();
        double upper = ev.ratioUpperBound(ratioEffect);
        boolean withinMaxRatio = upper < rule.maxRatio(); // NaN (no errors yet) holds nothing back
        double logCeiling = unitsForCeiling ? ev.logCeiling(ceilingEffect) : 0;
        double logRatioRaw = unitsForRatio ? ev.logRatio(ratioEffect) : 0;
        double logRatio = enough && !withinMaxRatio ? logRatioRaw : Math.min(logRatioRaw, 0);
        double logE = logSumHalf(logCeiling, logRatio);
        return new StartJudgement(Math.max(0, nowMillis - s.openedAt), s.weight, logE, logCeiling, logRatio, logRatioRaw,
                seen,
                ev.ratioEstimate(), upper, ratioEffect, ceilingEffect, oldSide.groups, newSide.groups,
                unitsForRatio, unitsForCeiling, enough, withinMaxRatio);
    }

    private static double inverse(long n) {
        return n == 0 ? 0 : 1.0 / n;
    }

    /** One side's counts of one start, summed and spread over the groups. */
    private record SideSpread(long outcomes, long errors, int groups, double squares) {

        static SideSpread of(long[] since, int side) {
            long n = 0;
            long e = 0;
            int groups = 0;
            for (int g = 0; g < UnitGroups.GROUPS; g++) {
                int i = UnitGroups.index(side, g);
                n += since[i];
                e += since[i + 1];
                if (since[i] > 0) {
                    groups++;
                }
            }
            double squares = 0;
            if (n > 0) {
                double r = (double) e / n;
                for (int g = 0; g < UnitGroups.GROUPS; g++) {
                    int i = UnitGroups.index(side, g);
                    double d = since[i + 1] - r * since[i];
                    // The leverage correction of the jackknife (CR3): a group that holds most of a
                    // side's outcomes pulls the side's rate towards itself, so its plain residual
                    // understates how far it is from the others. One client's storm is such a group.
                    double h = Math.min(0.999, (double) since[i] / n);
                    squares += d * d / ((1 - h) * (1 - h));
                }
            }
            return new SideSpread(n, e, groups, squares);
        }

        double rate() {
            return outcomes == 0 ? 0 : (double) errors / outcomes;
        }

        /**
         * The robust variance over the variance of independent requests at the side's own rate, at
         * least 1; 1 while the side has no errors (or only errors).
         */
        double designEffect() {
            double independent = independentVariance();
            return independent > 0 ? Math.max(1, robustVariance() / independent) : 1;
        }

        /** The variance of the side's error rate if its requests were independent: {@code r(1-r)/N}. */
        double independentVariance() {
            double r = rate();
            return r * (1 - r) / Math.max(1, outcomes);
        }

        /**
         * The linearised cluster-robust variance of the side's error rate, each group's residual
         * corrected for its leverage (CR3), with the small-sample factor G/(G-1).
         */
        double robustVariance() {
            if (outcomes == 0 || groups < 2) {
                return 0;
            }
            return groups / (groups - 1.0) * squares / ((double) outcomes * outcomes);
        }
    }

    /**
     * One start's judgement.
     *
     * @param spanMillis how long ago it opened
     * @param weight its weight
     * @param logE ln of its combined e-value {@code (ceiling + ratio') / 2}
     * @param logCeiling ln of its ceiling test (after the design effect)
     * @param logRatio ln of its ratio test after the design effect and the floors
     * @param logRatioUngated the same before the floors
     * @param counts the outcomes since it opened (all of them: with the group left out of the judging)
     * @param ratioEstimate the new/old error-rate ratio since it opened (Mantel-Haenszel)
     * @param ratioUpper that ratio's 95 % upper end, widened by the design effect
     * @param ratioDesignEffect the design effect of the comparison
     * @param ceilingDesignEffect the design effect of the new side's rate
     * @param oldGroups groups with old-side outcomes
     * @param newGroups groups with new-side outcomes
     * @param unitsForRatio true when both sides have outcomes in enough groups to be compared
     * @param unitsForCeiling true when the new side has outcomes in enough groups
     * @param enoughSamples true when the new side has {@code minSamples} outcomes since it opened
     * @param withinMaxRatio true when the data show the ratio below {@code maxRatio}
     */
    public record StartJudgement(long spanMillis, double weight, double logE, double logCeiling, double logRatio,
            double logRatioUngated, WindowCounts counts, double ratioEstimate, double ratioUpper,
            double ratioDesignEffect, double ceilingDesignEffect, int oldGroups, int newGroups,
            boolean unitsForRatio, boolean unitsForCeiling, boolean enoughSamples, boolean withinMaxRatio) {

        /** The most units the new side's groups stand for at least (one per group with outcomes). */
        public int unitsOnNewAtLeast() {
            return newGroups;
        }
    }

    /**
     * The detector at one look.
     *
     * @param sample what the counts were samples of
     * @param logE ln of the detector {@code E}
     * @param logThreshold {@code ln(1 / alpha)}
     * @param toHalt {@code ln E / ln(1/alpha)}, clamped to [0, 1]
     * @param leading the start nearest its own trip line: what an explanation speaks of
     * @param first the first start: everything since the evidence began
     * @param outcomes outcomes seen since the evidence began
     */
    public record Judgement(Sample sample, double logE, double logThreshold, double toHalt, StartJudgement leading,
            StartJudgement first, long outcomes) {

        /** True when the detector reached its threshold. */
        public boolean trips() {
            return logE >= logThreshold;
        }
    }

    /** The judgement of evidence that has seen nothing: for views before the first look. */
    public static Judgement none(GuardSpec rule) {
        return new ChangeEvidence(Sample.UNITS, rule.maxErrorRate(), rule.window(), 0).judge(rule, 0);
    }

    /** ln((e^a + e^b) / 2) without overflow. */
    static double logSumHalf(double a, double b) {
        double max = Math.max(a, b);
        return max + Math.log((Math.exp(a - max) + Math.exp(b - max)) / 2);
    }

    private static double logSumExp(double[] terms, double max) {
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double sum = 0;
        for (double t : terms) {
            sum += Math.exp(t - max);
        }
        return max + Math.log(sum);
    }
}

package io.crossfade.sidecar.guard;

import java.util.Objects;

/**
 * The guard's anytime-valid evidence that a migration's new variant fails more often than it may:
 * two likelihood-ratio martingales, grown look by look from the outcome counts seen since the
 * evidence started. Immutable: {@link #after} returns the evidence after one more look, so the
 * evidence is a pure function of the sequence of per-look <b>delta</b> counts. That is what lets a
 * fleet feed pooled counts (the sum of every instance's deltas) into the same code.
 *
 * <h2>The ratio test: does the new variant fail more often than the old one?</h2>
 * At each look take the counts since the previous look: {@code nOld, eOld, nNew, eNew}, and the
 * errors {@code E = eOld + eNew}. Conditional on {@code E} and on the exposures, where an error
 * falls is all that matters: under H0 ({@code pNew <= pOld}) {@code eNew} is (noncentral, odds
 * ratio at most 1) hypergeometric. For a rate ratio {@code psi > 1} the look's likelihood ratio of
 * a binomial split is
 *
 * <pre>  LR(psi) = (theta1 / theta0)^eNew ((1 - theta1) / (1 - theta0))^(E - eNew)
 *          = psi^eNew ((nNew + nOld) / (psi nNew + nOld))^E,
 *  theta0 = nNew / (nNew + nOld),   theta1 = psi nNew / (psi nNew + nOld).</pre>
 *
 * Its expectation under a {@code Binomial(E, theta0)} split is exactly 1. The central
 * hypergeometric split is below that binomial in convex order (Hoeffding 1963, theorem 4: drawing
 * without replacement), and {@code LR} is convex in {@code eNew}, so its expectation is at most 1
 * there; a smaller odds ratio only moves {@code eNew} down, and {@code LR} increases with
 * {@code eNew}. Hence the product over looks is a nonnegative supermartingale under H0, and so is a
 * mixture over a fixed grid of {@code psi} with weights summing to 1. Because {@code theta0} uses
 * each look's own exposures, a percent change needs no reset, and a time-varying baseline (an
 * incident hitting both variants) cancels out within a look.
 *
 * <h2>The ceiling test: is the new variant above {@code maxErrorRate}?</h2>
 * With {@code c = maxErrorRate} and the new variant's {@code n} outcomes and {@code e} errors since
 * the start, {@code LR(p1) = (p1 / c)^e ((1 - p1) / (1 - c))^(n - e)} for {@code p1 > c}. Each
 * outcome's factor has expectation {@code p p1/c + (1 - p)(1 - p1)/(1 - c) <= 1} whenever the true
 * rate {@code p <= c}, so this too is a supermartingale, as is its mixture over a grid of
 * {@code p1}. It needs no {@code minSamples}: 50 errors in 50 outcomes are overwhelming on their own.
 *
 * <p>By Ville's inequality a nonnegative supermartingale starting at 1 ever reaches {@code 1/alpha}
 * with probability at most {@code alpha}, however often one looks. {@link TripDecision} combines
 * the two.
 *
 * <h2>The estimated ratio since the evidence started</h2>
 * Beside the martingales the evidence keeps the Mantel-Haenszel estimate of the rate ratio over the
 * same looks, each look a stratum: {@code sum(eNew nOld / n) / sum(eOld nNew / n)} with
 * {@code n = nNew + nOld}, and its 95 % interval's upper end ({@link #ratioUpperBound()}). Three
 * running sums, so they are as cheap and as poolable as the martingales;
 * because each look is weighed with its own exposures, a percent change does not bias it (pooling
 * the counts would, when the baseline moves while the percent does: Simpson's paradox). With one
 * look, or a constant split, it is exactly the pooled ratio {@code (eNew/nNew) / (eOld/nOld)}.
 * {@link TripDecision} holds a ratio halt back while the upper end is below {@code maxRatio} (the
 * data show the ratio is smaller than the floor); that only ever lowers the evidence, so it plays
 * no part in validity.
 *
 * <p>Cost: a look without errors costs a few additions; a look with errors one logarithm per grid
 * point. Thread-safety: immutable (the arrays are never written after construction).
 */
public final class Evidence {

    /** The rate ratios {@code psi} the ratio test mixes over. */
    static final double[] RATIO_GRID = {1.25, 1.5, 2, 3, 4, 6, 10, 20, 50};

    /** Their weights (sum 1): most on the regressions a guard exists for, 2x to 10x. */
    static final double[] RATIO_WEIGHTS = {0.04, 0.06, 0.12, 0.20, 0.18, 0.16, 0.12, 0.07, 0.05};

    /**
     * The alternatives of the ceiling test, as multiples of the ceiling's odds
     * ({@code p1 / (1 - p1) = m c / (1 - c)}), so every {@code p1} lies in {@code (c, 1)}.
     */
    static final double[] CEILING_ODDS = {1.25, 1.5, 2, 3, 5, 10, 30, 100, 1000};

    /** Their weights (sum 1). */
    static final double[] CEILING_WEIGHTS = {0.08, 0.12, 0.20, 0.18, 0.14, 0.10, 0.08, 0.05, 0.05};

    /** The standard normal's 97.5 % quantile: a two-sided 95 % interval's upper end. */
    private static final double Z95 = 1.959963984540054;

    private static final double[] LN_PSI = new double[RATIO_GRID.length];
    private static final double[] LN_RATIO_WEIGHTS = logs(RATIO_WEIGHTS);
    private static final double[] LN_CEILING_WEIGHTS = logs(CEILING_WEIGHTS);

    static {
        for (int k = 0; k < RATIO_GRID.length; k++) {
            LN_PSI[k] = Math.log(RATIO_GRID[k]);
        }
    }

    private final Ceiling ceiling;
    private final long oldOutcomes;
    private final long oldErrors;
    private final long newOutcomes;
    private final long newErrors;
    private final double[] ratioLog;
    // the Mantel-Haenszel sums: sum(eNew nOld / n) and sum(eOld nNew / n) over the looks with both sides
    private final double newErrorsWeighed;
    private final double oldErrorsWeighed;
    // sum(E nNew nOld / n^2): the numerator of the Greenland-Robins variance of ln(estimate)
    private final double varianceWeighed;

    /** The ceiling test's per-outcome log factors for one {@code maxErrorRate}: shared by a chain of evidence. */
    private static final class Ceiling {
        final double rate;
        final double[] lnErrorFactor = new double[CEILING_ODDS.length];
        final double[] lnOkFactor = new double[CEILING_ODDS.length];

        Ceiling(double rate) {
            this.rate = rate;
            double odds = rate / (1 - rate);
            for (int j = 0; j < CEILING_ODDS.length; j++) {
                double o = odds * CEILING_ODDS[j];
                double p1 = o / (1 + o);
                lnErrorFactor[j] = Math.log(p1 / rate);
                // log1p keeps (1 - p1)/(1 - c) exact for rates near 0
                lnOkFactor[j] = Math.log1p(-p1) - Math.log1p(-rate);
            }
        }
    }

    private Evidence(Ceiling ceiling, long oldOutcomes, long oldErrors, long newOutcomes, long newErrors,
            double[] ratioLog, double newErrorsWeighed, double oldErrorsWeighed, double varianceWeighed) {
        this.ceiling = ceiling;
        this.oldOutcomes = oldOutcomes;
        this.oldErrors = oldErrors;
        this.newOutcomes = newOutcomes;
        this.newErrors = newErrors;
        this.ratioLog = ratioLog;
        this.newErrorsWeighed = newErrorsWeighed;
        this.oldErrorsWeighed = oldErrorsWeighed;
        this.varianceWeighed = varianceWeighed;
    }

    /**
     * No evidence yet: both martingales at 1.
     *
     * @param maxErrorRate the ceiling {@code c}, in (0, 1]; at 1 the ceiling test never grows
     */
    public static Evidence start(double maxErrorRate) {
        if (!(maxErrorRate > 0 && maxErrorRate <= 1)) {
            throw new IllegalArgumentException("maxErrorRate must be in (0, 1], got " + maxErrorRate);
        }
        return new Evidence(maxErrorRate >= 1 ? null : new Ceiling(maxErrorRate), 0, 0, 0, 0,
                new double[RATIO_GRID.length], 0, 0, 0);
    }

    /**
     * The evidence after one more look.
     *
     * @param delta the outcomes counted since the previous look (not a window, not a running total)
     */
    public Evidence after(WindowCounts delta) {
        return after(Look.of(Objects.requireNonNull(delta, "delta")));
    }

    /**
     * One look's contribution, computed once: the same look grows many evidences (one per start of a
     * {@link ChangeEvidence}), and its logarithms do not depend on which. Immutable.
     */
    static final class Look {
        final WindowCounts delta;
        final double[] ratioIncrement;
        /**
         * What one new-variant error of this look adds to each alternative's log likelihood ratio
         * ({@code ln psi + ln(n / (psi nNew + nOld))}), or null when the look adds nothing: lets a
         * caller take one group's errors back out.
         */
        final double[] perNewError;
        final double oldShare;
        final double newShare;
        final double newWeighed;
        final double oldWeighed;
        final double varianceWeighed;

        private Look(WindowCounts delta, double[] ratioIncrement, double[] perNewError, double oldShare,
                double newShare, double newWeighed, double oldWeighed, double varianceWeighed) {
            this.delta = delta;
            this.ratioIncrement = ratioIncrement;
            this.perNewError = perNewError;
            this.oldShare = oldShare;
            this.newShare = newShare;
            this.newWeighed = newWeighed;
            this.oldWeighed = oldWeighed;
            this.varianceWeighed = varianceWeighed;
        }

        static Look of(WindowCounts delta) {
            long nOld = delta.oldTotal();
            long nNew = delta.newTotal();
            long errors = delta.oldErrors() + delta.newErrors();
            if (errors > 0 && nOld > 0 && nNew > 0) {
                double[] ratio = new double[RATIO_GRID.length];
                double[] perNew = new double[RATIO_GRID.length];
                double n = (double) nOld + nNew;
                for (int k = 0; k < ratio.length; k++) {
                    double perError = Math.log(n / (RATIO_GRID[k] * nNew + nOld));
                    ratio[k] = delta.newErrors() * LN_PSI[k] + errors * perError;
                    perNew[k] = LN_PSI[k] + perError;
                }
                return new Look(delta, ratio, perNew, nOld / n, nNew / n, delta.newErrors() * (nOld / n),
                        delta.oldErrors() * (nNew / n), errors * (nNew / n) * (nOld / n));
            }
            return new Look(delta, null, null, 0, 0, 0, 0, 0);
        }
    }

    /**
     * This evidence with some new-variant outcomes taken back out: {@code outcomes} outcomes of which
     * {@code errors} failed, whose errors had added {@code ratioLog} to the ratio test's log
     * likelihood ratios, {@code newWeighed} and {@code varianceWeighed} to the Mantel-Haenszel sums.
     * For judging without one group of units (see {@link ChangeEvidence}); not for growing further.
     */
    Evidence without(long outcomes, long errors, double[] ratioLogTaken, double newWeighedTaken,
            double varianceWeighedTaken) {
        double[] ratio = ratioLog.clone();
        for (int k = 0; k < ratio.length; k++) {
            ratio[k] -= ratioLogTaken[k];
        }
        return new Evidence(ceiling, oldOutcomes, oldErrors, Math.max(0, newOutcomes - outcomes),
                Math.max(0, newErrors - errors), ratio, Math.max(0, newErrorsWeighed - newWeighedTaken),
                oldErrorsWeighed, Math.max(0, varianceWeighed - varianceWeighedTaken));
    }

    /** The evidence after one more look, whose contribution was computed once. */
    Evidence after(Look look) {
        WindowCounts delta = look.delta;
        long nOld = delta.oldTotal();
        long nNew = delta.newTotal();
        if (nOld == 0 && nNew == 0) {
            return this;
        }
        double[] ratio = ratioLog;
        if (look.ratioIncrement != null) {
            ratio = ratioLog.clone();
            for (int k = 0; k < ratio.length; k++) {
                ratio[k] += look.ratioIncrement[k];
            }
        }
        return new Evidence(ceiling, oldOutcomes + nOld, oldErrors + delta.oldErrors(), newOutcomes + nNew,
                newErrors + delta.newErrors(), ratio, newErrorsWeighed + look.newWeighed,
                oldErrorsWeighed + look.oldWeighed, varianceWeighed + look.varianceWeighed);
    }

    /** The ratio test's mixture martingale: 1 at the start, expected at most 1 while {@code pNew <= pOld}. */
    public double ratio() {
        return Math.exp(logMixture(ratioLog, LN_RATIO_WEIGHTS));
    }

    /** The ceiling test's mixture martingale: 1 at the start, expected at most 1 while {@code pNew <= maxErrorRate}. */
    public double ceiling() {
        return Math.exp(logCeiling());
    }

    /** ln of {@link #ratio()}. */
    public double logRatio() {
        return logMixture(ratioLog, LN_RATIO_WEIGHTS);
    }

    /**
     * ln of the ratio test's mixture with every component's log likelihood ratio divided by
     * {@code designEffect} (at least 1): the Rao-Scott correction for outcomes that arrive in
     * clusters (units), under which the counts carry {@code designEffect} times fewer independent
     * trials than they seem to. At 1 it is {@link #logRatio()}; for independent outcomes any value
     * above 1 only lowers it (a power below 1 of a test martingale is a test supermartingale).
     */
    public double logRatio(double designEffect) {
        return designEffect <= 1 ? logRatio() : logMixture(scaled(ratioLog, 1 / designEffect), LN_RATIO_WEIGHTS);
    }

    /** As {@link #logRatio(double)}, for the ceiling test. */
    public double logCeiling(double designEffect) {
        if (ceiling == null) {
            return 0;
        }
        double[] log = new double[CEILING_ODDS.length];
        double scale = designEffect <= 1 ? 1 : 1 / designEffect;
        for (int j = 0; j < log.length; j++) {
            log[j] = ceilingLog(j) * scale;
        }
        return logMixture(log, LN_CEILING_WEIGHTS);
    }

    private static double[] scaled(double[] log, double factor) {
        double[] out = new double[log.length];
        for (int i = 0; i < log.length; i++) {
            out[i] = log[i] * factor;
        }
        return out;
    }

    /** ln of {@link #ceiling()}. */
    public double logCeiling() {
        if (ceiling == null) {
            return 0;
        }
        double[] log = new double[CEILING_ODDS.length];
        for (int j = 0; j < log.length; j++) {
            log[j] = ceilingLog(j);
        }
        return logMixture(log, LN_CEILING_WEIGHTS);
    }

    /**
     * An upper bound of {@code max(ln ratio(), ln ceiling())}, without exponentials: a mixture is
     * never above its largest component. Lets a caller skip the full decision while it cannot trip.
     */
    double logUpperBound() {
        double max = 0;
        for (double r : ratioLog) {
            max = Math.max(max, r);
        }
        if (ceiling != null) {
            for (int j = 0; j < CEILING_ODDS.length; j++) {
                max = Math.max(max, ceilingLog(j));
            }
        }
        return max;
    }

    private double ceilingLog(int j) {
        return newErrors * ceiling.lnErrorFactor[j] + (newOutcomes - newErrors) * ceiling.lnOkFactor[j];
    }

    /**
     * The Mantel-Haenszel estimate of the new variant's error rate over the old one's since the
     * evidence started, each look a stratum: {@code NaN} while no look with both variants had an
     * error, infinite when only the new variant's errors have.
     */
    public double ratioEstimate() {
        if (newErrorsWeighed == 0 && oldErrorsWeighed == 0) {
            return Double.NaN;
        }
        return oldErrorsWeighed == 0 ? Double.POSITIVE_INFINITY : newErrorsWeighed / oldErrorsWeighed;
    }

    /**
     * The upper end of the 95 % confidence interval of {@link #ratioEstimate()}:
     * {@code estimate * exp(1.96 se)}, with the Greenland-Robins (1985) variance of its logarithm
     * for person-time strata, {@code se^2 = sum(E nNew nOld / n^2) / (sum(eNew nOld / n) sum(eOld nNew / n))}.
     * Infinite while only the new variant's errors have been seen (nothing rules a ratio out), 0
     * while only the old variant's have. A fixed-sample interval, not an anytime-valid one: it is
     * only ever used to hold back a halt, never to make one.
     */
    public double ratioUpperBound() {
        return ratioUpperBound(1);
    }

    /**
     * As {@link #ratioUpperBound()}, with the variance of the log estimate multiplied by
     * {@code designEffect} (at least 1): the interval of clustered outcomes (Rao-Scott).
     */
    public double ratioUpperBound(double designEffect) {
        if (oldErrorsWeighed == 0) {
            return newErrorsWeighed == 0 ? Double.NaN : Double.POSITIVE_INFINITY;
        }
        if (newErrorsWeighed == 0) {
            return 0;
        }
        double se = Math.sqrt(Math.max(1, designEffect) * varianceWeighed / (newErrorsWeighed * oldErrorsWeighed));
        return newErrorsWeighed / oldErrorsWeighed * Math.exp(Z95 * se);
    }

    /**
     * What this evidence is, to store and {@link #restore} it: the counts and sums it was grown to.
     * Immutable; serialised by Jackson.
     *
     * @param maxErrorRate the ceiling
     * @param oldOutcomes old-variant outcomes since the start
     * @param oldErrors old-variant errors
     * @param newOutcomes new-variant outcomes
     * @param newErrors new-variant errors
     * @param ratioLog the ratio test's log likelihood ratio per alternative of {@link #RATIO_GRID}
     * @param mantelHaenszel the three Mantel-Haenszel sums: new errors weighed, old errors weighed, variance
     */
    public record State(double maxErrorRate, long oldOutcomes, long oldErrors, long newOutcomes, long newErrors,
            double[] ratioLog, double[] mantelHaenszel) {
    }

    /** This evidence's state. */
    public State state() {
        return new State(maxErrorRate(), oldOutcomes, oldErrors, newOutcomes, newErrors, ratioLog.clone(),
                new double[] {newErrorsWeighed, oldErrorsWeighed, varianceWeighed});
    }

    /**
     * The evidence a {@link #state()} describes.
     *
     * @throws IllegalArgumentException when the state is not one this version writes
     */
    public static Evidence restore(State state) {
        Evidence fresh = start(state.maxErrorRate());
        if (state.ratioLog() == null || state.ratioLog().length != RATIO_GRID.length || state.mantelHaenszel() == null
                || state.mantelHaenszel().length != 3 || state.oldOutcomes() < state.oldErrors()
                || state.newOutcomes() < state.newErrors() || state.oldErrors() < 0 || state.newErrors() < 0) {
            throw new IllegalArgumentException("not a stored guard evidence of this version");
        }
        double[] mh = state.mantelHaenszel();
        return new Evidence(fresh.ceiling, state.oldOutcomes(), state.oldErrors(), state.newOutcomes(),
                state.newErrors(), state.ratioLog().clone(), mh[0], mh[1], mh[2]);
    }

    /** The maxErrorRate the ceiling test was started with. */
    public double maxErrorRate() {
        return ceiling == null ? 1 : ceiling.rate;
    }

    /** Old-variant outcomes since the evidence started. */
    public long oldOutcomes() {
        return oldOutcomes;
    }

    /** Old-variant errors since the evidence started. */
    public long oldErrors() {
        return oldErrors;
    }

    /** New-variant outcomes since the evidence started. */
    public long newOutcomes() {
        return newOutcomes;
    }

    /** New-variant errors since the evidence started. */
    public long newErrors() {
        return newErrors;
    }

    private static double logMixture(double[] log, double[] lnWeights) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < log.length; k++) {
            max = Math.max(max, log[k] + lnWeights[k]);
        }
        double sum = 0;
        for (int k = 0; k < log.length; k++) {
            sum += Math.exp(log[k] + lnWeights[k] - max);
        }
        return max + Math.log(sum);
    }

    private static double[] logs(double[] weights) {
        double[] out = new double[weights.length];
        double sum = 0;
        for (int i = 0; i < weights.length; i++) {
            out[i] = Math.log(weights[i]);
            sum += weights[i];
        }
        if (Math.abs(sum - 1) > 1e-12) {
            throw new IllegalStateException("mixture weights must sum to 1, got " + sum);
        }
        return out;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "Evidence[ratio=%.4g, ceiling=%.4g, old %d/%d, new %d/%d]",
                ratio(), ceiling(), oldErrors, oldOutcomes, newErrors, newOutcomes);
    }
}

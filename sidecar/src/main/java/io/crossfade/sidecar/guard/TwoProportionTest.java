package io.crossfade.sidecar.guard;

import java.util.Locale;

/**
 * One-sided test of "the new variant's error rate is really higher than the old one's", for two
 * independent samples of outcomes. Pure; thread-safe.
 *
 * <p>The test is the pooled two-proportion z-test: {@code p = (x_new + x_old) / (n_new + n_old)},
 * {@code z = (x_new/n_new - x_old/n_old) / sqrt(p (1 - p) (1/n_new + 1/n_old))}, significant when
 * {@code z} is strictly above the normal quantile of {@code confidence}. Its normal approximation
 * is known to mislead when a cell of the 2x2 table is expected to hold few outcomes, and that is
 * exactly the guard's common case of a healthy service with (almost) no errors: one error in 200
 * new-variant outcomes against none in 10 000 old ones gives z = 7.1, although equal error rates
 * would put that one error in the new sample one time in 51. So when any cell's expected count
 * under equal rates is below {@value #MIN_EXPECTED_CELL}, the textbook rule for trusting the
 * approximation, the test is Fisher's exact test instead (one-sided, the hypergeometric upper
 * tail), significant when its p-value is strictly below {@code 1 - confidence}. It costs a few
 * dozen multiplications there, because the tail it sums is short exactly when cells are small.
 */
public final class TwoProportionTest {

    /** Smallest expected cell count for which the z-test's normal approximation is trusted. */
    public static final double MIN_EXPECTED_CELL = 5.0;

    private static final int FACTORIAL_TABLE = 256;
    private static final double[] LN_FACTORIAL = new double[FACTORIAL_TABLE];
    private static final double HALF_LN_TWO_PI = 0.5 * Math.log(2 * Math.PI);
    private static final int MAX_TAIL_TERMS = 1_000_000;

    static {
        double sum = 0;
        for (int i = 1; i < FACTORIAL_TABLE; i++) {
            sum += Math.log(i);
            LN_FACTORIAL[i] = sum;
        }
    }

    private TwoProportionTest() {
    }

    /** Which test decided, its statistic, the threshold it was held against, and the answer. */
    public enum Method {
        /** Pooled two-proportion z-test: statistic z, threshold the normal quantile of the confidence. */
        Z,
        /** Fisher's exact test: statistic the one-sided p-value, threshold {@code 1 - confidence}. */
        FISHER
    }

    /**
     * The result of one test.
     *
     * @param method which test was used
     * @param statistic z for {@link Method#Z}, the p-value for {@link Method#FISHER}
     * @param threshold what the statistic was compared with
     * @param significant true when the new variant's rate is higher at the requested confidence
     */
    public record Result(Method method, double statistic, double threshold, boolean significant) {

        /** For people: {@code z = 5.24 > 2.33} or {@code Fisher's exact p = 0.0196, not below 0.01}. */
        public String describe() {
            if (method == Method.Z) {
                return String.format(Locale.ROOT, "z = %.2f %s %.2f", statistic, significant ? ">" : "<=", threshold);
            }
            return String.format(Locale.ROOT, "Fisher's exact p = %.3g %s %.3g", statistic,
                    significant ? "<" : ">=", threshold);
        }
    }

    /**
     * Tests whether {@code newErrors / newTotal} is significantly higher than {@code oldErrors / oldTotal}.
     *
     * @param confidence in [0.5, 1)
     * @throws IllegalArgumentException when a total is zero or smaller than its errors, or the
     *     confidence is outside [0.5, 1)
     */
    public static Result newWorseThanOld(long newErrors, long newTotal, long oldErrors, long oldTotal, double confidence) {
        if (newTotal <= 0 || oldTotal <= 0 || newErrors < 0 || oldErrors < 0 || newErrors > newTotal
                || oldErrors > oldTotal) {
            throw new IllegalArgumentException("need errors <= total and total > 0 on both sides, got new "
                    + newErrors + "/" + newTotal + ", old " + oldErrors + "/" + oldTotal);
        }
        if (!(confidence >= 0.5 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in [0.5, 1), got " + confidence);
        }
        double n = (double) newTotal + oldTotal;
        double errors = (double) newErrors + oldErrors;
        double pooled = errors / n;
        double smallestCell = Math.min(Math.min(newTotal, oldTotal) * pooled, Math.min(newTotal, oldTotal) * (1 - pooled));
        if (smallestCell < MIN_EXPECTED_CELL) {
            double alpha = 1 - confidence;
            double p = fisherUpperTail(newErrors, newTotal, oldErrors, oldTotal);
            return new Result(Method.FISHER, p, alpha, p < alpha);
        }
        double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / newTotal + 1.0 / oldTotal));
        double z = se == 0 ? 0 : ((double) newErrors / newTotal - (double) oldErrors / oldTotal) / se;
        double critical = NormalQuantile.of(confidence);
        return new Result(Method.Z, z, critical, z > critical);
    }

    /**
     * Fisher's one-sided p-value: the probability, with the margins fixed and equal rates, that the
     * new sample holds {@code newErrors} or more of all the errors.
     */
    static double fisherUpperTail(long newErrors, long newTotal, long oldErrors, long oldTotal) {
        long total = newTotal + oldTotal;
        long errors = newErrors + oldErrors;
        long max = Math.min(errors, newTotal);
        double logFirst = lnChoose(errors, newErrors) + lnChoose(total - errors, newTotal - newErrors)
                - lnChoose(total, newTotal);
        double term = Math.exp(logFirst);
        double sum = term;
        long k = newErrors;
        int terms = 0;
        while (k < max && terms++ < MAX_TAIL_TERMS) {
            term *= (double) (errors - k) * (newTotal - k) / ((double) (k + 1) * (total - errors - newTotal + k + 1));
            sum += term;
            k++;
            if (term < sum * 1e-17 && k > (double) errors * newTotal / total) {
                break; // past the mode the terms only shrink: the rest cannot change the sum
            }
        }
        return Math.min(1.0, sum);
    }

    /** ln(n choose k). */
    static double lnChoose(long n, long k) {
        return lnFactorial(n) - lnFactorial(k) - lnFactorial(n - k);
    }

    /** ln(n!): a table below 256, Stirling's series (error below 1e-17 there) above. */
    static double lnFactorial(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must not be negative, got " + n);
        }
        if (n < FACTORIAL_TABLE) {
            return LN_FACTORIAL[(int) n];
        }
        double x = n;
        double inv = 1 / x;
        double inv2 = inv * inv;
        return x * Math.log(x) - x + HALF_LN_TWO_PI + 0.5 * Math.log(x)
                + inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 / 1260));
    }
}

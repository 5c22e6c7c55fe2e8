package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import org.junit.jupiter.api.Test;

class TwoProportionTestTest {

    @Test
    void largeCellsUseThePooledZTest() {
        // old 4 of 1000, new 20 of 500: pooled 24/1500 = 0.016, smallest expected cell 8
        TwoProportionTest.Result r = TwoProportionTest.newWorseThanOld(20, 500, 4, 1000, 0.99);
        double pooled = 24.0 / 1500;
        double z = (0.04 - 0.004) / Math.sqrt(pooled * (1 - pooled) * (1.0 / 500 + 1.0 / 1000));
        assertThat(r.method()).isEqualTo(TwoProportionTest.Method.Z);
        assertThat(r.statistic()).isCloseTo(z, within(1e-12)).isCloseTo(5.24, within(0.01));
        assertThat(r.threshold()).isCloseTo(2.3263, within(1e-4));
        assertThat(r.significant()).isTrue();
        assertThat(r.describe()).isEqualTo("z = 5.24 > 2.33");
    }

    @Test
    void oneStrayErrorAgainstAnErrorFreeOldVariantIsNotSignificant() {
        // the z-test would say 7.1; equal rates put the single error in the new sample 200 times in 10 200
        TwoProportionTest.Result r = TwoProportionTest.newWorseThanOld(1, 200, 0, 10_000, 0.99);
        assertThat(r.method()).isEqualTo(TwoProportionTest.Method.FISHER);
        assertThat(r.statistic()).isCloseTo(200.0 / 10_200, within(1e-12));
        assertThat(r.significant()).isFalse();
        assertThat(r.describe()).isEqualTo("Fisher's exact p = 0.0196 >= 0.0100");
    }

    @Test
    void threeErrorsAgainstAnErrorFreeOldVariantAreSignificant() {
        TwoProportionTest.Result r = TwoProportionTest.newWorseThanOld(3, 200, 0, 10_000, 0.99);
        double exact = (200.0 / 10_200) * (199.0 / 10_199) * (198.0 / 10_198);
        assertThat(r.method()).isEqualTo(TwoProportionTest.Method.FISHER);
        assertThat(r.statistic()).isCloseTo(exact, within(exact * 1e-9));
        assertThat(r.significant()).isTrue();
    }

    @Test
    void noErrorsAnywhereIsNeverSignificant() {
        assertThat(TwoProportionTest.newWorseThanOld(0, 1_000_000, 0, 1_000_000, 0.5).significant()).isFalse();
    }

    @Test
    void everythingFailingOnBothSidesIsNeverSignificant() {
        assertThat(TwoProportionTest.newWorseThanOld(500, 500, 1000, 1000, 0.99).significant()).isFalse();
    }

    @Test
    void hugeSamplesWithATinyDifferenceAreNotSignificantButALargeOneIs() {
        assertThat(TwoProportionTest.newWorseThanOld(100_100, 10_000_000, 100_000, 10_000_000, 0.99).significant())
                .isFalse(); // z = 0.22
        assertThat(TwoProportionTest.newWorseThanOld(101_500, 10_000_000, 100_000, 10_000_000, 0.99).significant())
                .isTrue(); // z = 3.36
    }

    @Test
    void fisherMatchesAnExactHypergeometricSumOnSmallTables() {
        for (int n1 = 1; n1 <= 30; n1 += 7) {
            for (int n0 = 1; n0 <= 40; n0 += 9) {
                for (int x1 = 0; x1 <= n1; x1 += 2) {
                    for (int x0 = 0; x0 <= n0; x0 += 3) {
                        double expected = exactUpperTail(x1, n1, x0, n0);
                        double actual = TwoProportionTest.fisherUpperTail(x1, n1, x0, n0);
                        assertThat(actual).as("new %d/%d old %d/%d", x1, n1, x0, n0)
                                .isCloseTo(expected, within(1e-12 + expected * 1e-9));
                    }
                }
            }
        }
    }

    @Test
    void lnFactorialIsAccurateOnBothSidesOfTheTable() {
        double sum = 0;
        for (int n = 1; n <= 20_000; n++) {
            sum += Math.log(n);
            if (n >= 250) {
                assertThat(TwoProportionTest.lnFactorial(n)).as("ln %d!", n).isCloseTo(sum, within(sum * 1e-13));
            }
        }
        assertThat(TwoProportionTest.lnFactorial(0)).isZero();
    }

    @Test
    void refusesImpossibleCounts() {
        assertThatThrownBy(() -> TwoProportionTest.newWorseThanOld(3, 2, 0, 10, 0.99))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TwoProportionTest.newWorseThanOld(0, 0, 0, 10, 0.99))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TwoProportionTest.newWorseThanOld(1, 10, 0, 10, 1.0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** P(X >= x1), X hypergeometric, summed with exact integers. */
    private static double exactUpperTail(int x1, int n1, int x0, int n0) {
        int errors = x0 + x1;
        BigInteger denominator = choose(n0 + n1, n1);
        BigInteger numerator = BigInteger.ZERO;
        for (int k = x1; k <= Math.min(errors, n1); k++) {
            numerator = numerator.add(choose(errors, k).multiply(choose(n0 + n1 - errors, n1 - k)));
        }
        return new BigDecimal(numerator).divide(new BigDecimal(denominator), MathContext.DECIMAL64).doubleValue();
    }

    private static BigInteger choose(int n, int k) {
        if (k < 0 || k > n) {
            return BigInteger.ZERO;
        }
        BigInteger r = BigInteger.ONE;
        for (int i = 0; i < k; i++) {
            r = r.multiply(BigInteger.valueOf(n - i)).divide(BigInteger.valueOf(i + 1));
        }
        return r;
    }
}

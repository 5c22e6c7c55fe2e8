package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.apache.commons.statistics.distribution.BinomialDistribution;
import org.apache.commons.statistics.distribution.HypergeometricDistribution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The statistic of {@link Evidence}: its values against hand computations in the textbook
 * {@code theta} form, and its validity (expectation at most 1 under the null) against exact
 * hypergeometric and binomial laws from commons-statistics as an independent oracle.
 */
class EvidenceTest {

    /** One look's ratio likelihood ratio, computed the long way: (theta1/theta0)^e ((1-theta1)/(1-theta0))^(E-e). */
    private static double ratioLr(double psi, long nNew, long nOld, long eNew, long errors) {
        double theta0 = (double) nNew / (nNew + nOld);
        double theta1 = psi * nNew / (psi * nNew + nOld);
        return Math.pow(theta1 / theta0, eNew) * Math.pow((1 - theta1) / (1 - theta0), errors - eNew);
    }

    private static double ratioMixture(long nNew, long nOld, long eNew, long errors) {
        double sum = 0;
        for (int k = 0; k < Evidence.RATIO_GRID.length; k++) {
            sum += Evidence.RATIO_WEIGHTS[k] * ratioLr(Evidence.RATIO_GRID[k], nNew, nOld, eNew, errors);
        }
        return sum;
    }

    @Test
    void aHandComputedLookAtPsiTwo() {
        // 100 new outcomes with 3 errors, 900 old with 9: E = 12, theta0 = 0.1, theta1(2) = 200/1100.
        // LR(2) = 2^3 * (1000/1100)^12 = 8 * 0.318631... = 2.549051...
        assertThat(ratioLr(2, 100, 900, 3, 12)).isCloseTo(8 * Math.pow(10.0 / 11, 12), within(1e-12));
        assertThat(8 * Math.pow(10.0 / 11, 12)).isCloseTo(2.5490465, within(1e-7));
        Evidence e = Evidence.start(0.05).after(new WindowCounts(891, 9, 97, 3));
        assertThat(e.ratio()).isCloseTo(ratioMixture(100, 900, 3, 12), within(1e-9));
    }

    @Test
    void theRatioMartingaleMultipliesAcrossLooks() {
        Evidence e = Evidence.start(0.05)
                .after(new WindowCounts(891, 9, 97, 3))
                .after(new WindowCounts(1990, 10, 0, 0)) // no new outcomes: the look says nothing about the ratio
                .after(new WindowCounts(400, 0, 45, 5));
        double expected = 0;
        for (int k = 0; k < Evidence.RATIO_GRID.length; k++) {
            double psi = Evidence.RATIO_GRID[k];
            expected += Evidence.RATIO_WEIGHTS[k] * ratioLr(psi, 100, 900, 3, 12) * ratioLr(psi, 50, 400, 5, 5);
        }
        assertThat(e.ratio()).isCloseTo(expected, within(expected * 1e-12));
        assertThat(e.newOutcomes()).isEqualTo(150);
        assertThat(e.oldErrors()).isEqualTo(19);
    }

    @Test
    void theRatioEstimateIsMantelHaenszelOverTheLooks() {
        // look 1: 10 % on new, 3 of 100 vs 9 of 900; look 2: 50 % on new, 5 of 500 vs 2 of 500.
        // R = 3*900/1000 + 5*500/1000 = 2.7 + 2.5 = 5.2; S = 9*100/1000 + 2*500/1000 = 0.9 + 1 = 1.9
        // Greenland-Robins: sum E nNew nOld / n^2 = 12*0.09 + 7*0.25 = 2.83; var ln = 2.83 / (5.2*1.9)
        Evidence e = Evidence.start(0.05).after(new WindowCounts(891, 9, 97, 3)).after(new WindowCounts(498, 2, 495, 5));
        assertThat(e.ratioEstimate()).isCloseTo(5.2 / 1.9, within(1e-12));
        assertThat(e.ratioUpperBound()).isCloseTo(5.2 / 1.9 * Math.exp(1.959963984540054 * Math.sqrt(2.83 / (5.2 * 1.9))),
                within(1e-9));
        // pooled counts would say (8/600) / (11/1400) = 1.70: the percent change would bias it
        assertThat((8.0 / 600) / (11.0 / 1400)).isCloseTo(1.70, within(0.01));
    }

    @Test
    void theRatioEstimateWithoutErrorsOnOneSide() {
        assertThat(Evidence.start(0.05).ratioEstimate()).isNaN();
        assertThat(Evidence.start(0.05).ratioUpperBound()).isNaN();
        Evidence onlyNew = Evidence.start(0.05).after(new WindowCounts(900, 0, 98, 2));
        assertThat(onlyNew.ratioEstimate()).isInfinite();
        assertThat(onlyNew.ratioUpperBound()).isInfinite();
        Evidence onlyOld = Evidence.start(0.05).after(new WindowCounts(898, 2, 100, 0));
        assertThat(onlyOld.ratioEstimate()).isZero();
        assertThat(onlyOld.ratioUpperBound()).isZero();
    }

    @Test
    void looksWithoutErrorsOrWithoutOneSideLeaveTheRatioAtOne() {
        Evidence e = Evidence.start(0.05).after(new WindowCounts(1000, 0, 100, 0))
                .after(new WindowCounts(0, 0, 100, 20)); // at 100 %: nothing to compare with
        assertThat(e.ratio()).isCloseTo(1.0, within(1e-15));
    }

    @Test
    void theCeilingMartingaleIsAFunctionOfTheTotalsAlone() {
        Evidence oneLook = Evidence.start(0.05).after(new WindowCounts(0, 0, 190, 10));
        Evidence manyLooks = Evidence.start(0.05);
        for (int i = 0; i < 10; i++) {
            manyLooks = manyLooks.after(new WindowCounts(3, 1, 19, 1));
        }
        assertThat(manyLooks.ceiling()).isCloseTo(oneLook.ceiling(), within(1e-12));
        // by hand: sum_j w_j (p1_j / c)^e ((1 - p1_j)/(1 - c))^(n - e), p1_j = m_j c/(1-c) / (1 + m_j c/(1-c))
        double c = 0.05;
        double expected = 0;
        for (int j = 0; j < Evidence.CEILING_ODDS.length; j++) {
            double o = Evidence.CEILING_ODDS[j] * c / (1 - c);
            double p1 = o / (1 + o);
            expected += Evidence.CEILING_WEIGHTS[j] * Math.pow(p1 / c, 10) * Math.pow((1 - p1) / (1 - c), 190);
        }
        assertThat(oneLook.ceiling()).isCloseTo(expected, within(expected * 1e-12));
    }

    @ParameterizedTest(name = "nNew {0}, nOld {1}, E {2}")
    @CsvSource({"100, 900, 12", "10, 990, 3", "500, 500, 40", "1, 1000, 5", "50, 50, 100", "3, 2, 5", "900, 100, 30"})
    void underEqualRatesEveryLooksExpectationIsAtMostOne(int nNew, int nOld, int errors) {
        // The oracle's exact hypergeometric law of where E errors fall, given the exposures, under H0.
        HypergeometricDistribution split = HypergeometricDistribution.of(nNew + nOld, errors, nNew);
        BinomialDistribution binomial = BinomialDistribution.of(errors, (double) nNew / (nNew + nOld));
        for (double psi : Evidence.RATIO_GRID) {
            double hyper = 0;
            double binom = 0;
            for (int e = 0; e <= errors; e++) {
                double lr = ratioLr(psi, nNew, nOld, e, errors);
                hyper += split.probability(e) * lr; // 0 beyond nNew
                binom += binomial.probability(e) * lr;
            }
            assertThat(binom).as("binomial expectation at psi %s", psi).isCloseTo(1.0, within(1e-9));
            assertThat(hyper).as("hypergeometric expectation at psi %s", psi).isLessThanOrEqualTo(1.0 + 1e-12);
        }
    }

    @ParameterizedTest(name = "n {0}, true rate {1}, ceiling {2}")
    @CsvSource({"200, 0.05, 0.05", "200, 0.01, 0.05", "50, 0.001, 0.001", "1000, 0.049, 0.05", "30, 0.2, 0.25"})
    void atOrBelowTheCeilingTheCeilingMartingaleExpectsAtMostOne(int n, double rate, double ceiling) {
        BinomialDistribution errors = BinomialDistribution.of(n, rate);
        double expectation = 0;
        for (int e = 0; e <= n; e++) {
            Evidence ev = Evidence.start(ceiling).after(new WindowCounts(0, 0, n - e, e));
            expectation += Math.exp(errors.logProbability(e) + ev.logCeiling()); // in logs: far tails overflow
        }
        if (rate == ceiling) {
            assertThat(expectation).isCloseTo(1.0, within(1e-9));
        } else {
            assertThat(expectation).isLessThan(1.0);
        }
    }

    @Test
    void fiftyErrorsInFiftyAreOverwhelming() {
        Evidence e = Evidence.start(0.05).after(new WindowCounts(0, 0, 0, 50));
        assertThat(e.logCeiling()).isGreaterThan(100);
    }

    @Test
    void theUpperBoundIsNeverBelowEitherMixture() {
        Evidence e = Evidence.start(0.05).after(new WindowCounts(891, 9, 90, 10)).after(new WindowCounts(0, 0, 40, 6));
        assertThat(e.logUpperBound()).isGreaterThanOrEqualTo(Math.max(e.logRatio(), e.logCeiling()));
    }

    @Test
    void aCeilingOfOneNeverGrowsAndBadCeilingsAreRefused() {
        assertThat(Evidence.start(1).after(new WindowCounts(0, 0, 0, 1000)).ceiling()).isEqualTo(1.0);
        assertThatThrownBy(() -> Evidence.start(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void gridWeightsSumToOne() {
        double r = 0;
        double c = 0;
        for (double w : Evidence.RATIO_WEIGHTS) {
            r += w;
        }
        for (double w : Evidence.CEILING_WEIGHTS) {
            c += w;
        }
        assertThat(r).isCloseTo(1, within(1e-12));
        assertThat(c).isCloseTo(1, within(1e-12));
        assertThat(java.util.Arrays.stream(Evidence.RATIO_GRID).min().orElseThrow()).isGreaterThan(1);
    }
}

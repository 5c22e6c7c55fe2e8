package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.crossfade.config.GuardAction;
import io.crossfade.config.GuardSpec;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The guard's promise through the simulator, small enough for the default suite (the full grid is
 * {@link GuardPromiseTest}, tagged slow). Seeds are fixed, so these results are deterministic; the
 * margins say what the assertion would tolerate if they were not.
 */
class GuardSimulatorTest {

    static GuardSimulator.Scenario scenario(double rate, String percent, double oldRate, double newRate, Duration length,
            int runs) {
        return new GuardSimulator.Scenario(rate, GuardSimulator.phases(percent), oldRate, newRate, length, runs,
                GuardSpec.DEFAULT, 42);
    }

    /**
     * The most false halts in {@code runs} runs that a false-halt probability of 1 % explains: the
     * smallest {@code k} with {@code P(Binomial(runs, 0.01) > k) < 0.001}.
     */
    static int falseHaltMargin(int runs) {
        double p = 0.01;
        double pmf = Math.pow(1 - p, runs);
        double cdf = pmf;
        int k = 0;
        while (1 - cdf >= 0.001) {
            pmf *= (double) (runs - k) / (k + 1) * p / (1 - p);
            cdf += pmf;
            k++;
        }
        return k;
    }

    @Test
    void theMarginIsTheBinomialTail() {
        // P(Bin(100, 0.01) >= 5) = 0.0034, P(>= 6) = 0.0005
        assertThat(falseHaltMargin(100)).isEqualTo(5);
    }

    @ParameterizedTest(name = "mean {0}")
    @ValueSource(doubles = {0.04, 3.6, 36, 1000})
    void poissonDrawsHaveTheRightMeanAndVariance(double mean) {
        SplittableRandom random = new SplittableRandom(7);
        GuardSimulator.Poisson poisson = new GuardSimulator.Poisson(mean);
        int n = 200_000;
        double sum = 0;
        double squares = 0;
        for (int i = 0; i < n; i++) {
            long k = poisson.draw(random);
            sum += k;
            squares += (double) k * k;
        }
        double m = sum / n;
        double var = squares / n - m * m;
        // 5 standard errors of the mean, and a loose 5 % on the variance
        assertThat(m).isCloseTo(mean, within(5 * Math.sqrt(mean / n)));
        assertThat(var).isCloseTo(mean, within(mean * 0.05 + 1e-3));
    }

    @Test
    void aaMigrationsRarelyHalt() {
        for (GuardSimulator.Scenario s : List.of(
                scenario(200, "10", 0.01, 0.01, Duration.ofMinutes(30), 100),
                scenario(1000, "50", 0.001, 0.001, Duration.ofMinutes(20), 100),
                scenario(100, "1:5m,10:10m,50", 0.05, 0.05, Duration.ofMinutes(30), 100))) {
            GuardSimulator.Result r = GuardSimulator.simulate(s);
            assertThat(r.trips()).as("false halts of %s", s).isLessThanOrEqualTo(falseHaltMargin(s.runs()));
        }
    }

    @Test
    void aThreeTimesRegressionHaltsWithinTheTargets() {
        GuardSimulator.Result r = GuardSimulator.simulate(scenario(200, "10", 0.01, 0.03, Duration.ofMinutes(10), 200));
        assertThat(r.misses()).isZero();
        assertThat(r.tripTimeQuantile(0.5)).isLessThanOrEqualTo(Duration.ofSeconds(45));
        assertThat(r.tripTimeQuantile(1.0)).isLessThanOrEqualTo(Duration.ofMinutes(3));
    }

    @Test
    void aFiveTimesRegressionHaltsWithinFifteenSecondsMedian() {
        GuardSimulator.Result r = GuardSimulator.simulate(scenario(200, "10", 0.01, 0.05, Duration.ofMinutes(10), 200));
        assertThat(r.misses()).isZero();
        assertThat(r.tripTimeQuantile(0.5)).isLessThanOrEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void twiceTheCeilingHaltsSoonAfterMinSamplesEvenWhenBothVariantsFail() {
        // old fails as much as new, so only the ceiling can halt; 200 new outcomes take 10 s at 20/s
        GuardSimulator.Result r = GuardSimulator.simulate(scenario(200, "10", 0.10, 0.10, Duration.ofMinutes(10), 200));
        assertThat(r.misses()).isZero();
        assertThat(r.trips(Verdict.Kind.TRIP_CEILING)).isEqualTo(200);
        assertThat(r.tripTimeQuantile(0.5)).isLessThanOrEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void overwhelmingEvidenceDoesNotWaitForMinSamples() {
        // every new outcome fails, at 2 per second: 182 errors of 182 halts long before 200 exist
        GuardSimulator.Result r = GuardSimulator.simulate(scenario(20, "10", 0.01, 1.0, Duration.ofMinutes(10), 50));
        assertThat(r.tripTimeQuantile(1.0)).isLessThanOrEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void aBetterNewValueIsNotHalted() {
        GuardSimulator.Result r = GuardSimulator.simulate(scenario(500, "10", 0.02, 0.01, Duration.ofMinutes(20), 100));
        assertThat(r.trips()).isLessThanOrEqualTo(falseHaltMargin(100));
    }

    @Test
    void theSameSeedGivesTheSameRuns() {
        GuardSimulator.Scenario s = scenario(200, "10", 0.01, 0.03, Duration.ofMinutes(10), 20);
        assertThat(GuardSimulator.simulate(s).runs()).isEqualTo(GuardSimulator.simulate(s).runs());
    }

    @Test
    void aRampSchedulesThePercent() {
        GuardSimulator.Scenario s = new GuardSimulator.Scenario(10, GuardSimulator.phases("1:10m,10:1h,50"), 0, 0,
                Duration.ofHours(2), 1, new GuardSpec(0.05, 2, 200, Duration.ofSeconds(60), 0.99, GuardAction.HALT), 1);
        assertThat(s.percentAt(0)).isEqualTo(1_000);
        assertThat(s.percentAt(Duration.ofMinutes(10).toMillis())).isEqualTo(10_000);
        assertThat(s.percentAt(Duration.ofMinutes(71).toMillis())).isEqualTo(50_000);
    }

    @Test
    void aRampIsExtendedWhileTheGuardWaitsForSamplesAsInTheSidecar() {
        // 1 req/s with 1 % on new: about 36 new-value outcomes an hour, never the 200 a step needs
        GuardSimulator.Result slow = GuardSimulator.simulate(scenario(1, "1:1m,10:1m,50", 0.01, 0.01,
                Duration.ofHours(1), 20));
        assertThat(slow.runs()).allSatisfy(r -> assertThat(r.step()).isZero());
        // 200 req/s: 1 % gives 2 new outcomes a second, so the minute holds suffice and the ramp climbs
        GuardSimulator.Result busy = GuardSimulator.simulate(scenario(200, "1:1m,10:1m,50", 0.01, 0.01,
                Duration.ofMinutes(30), 20));
        assertThat(busy.runs()).filteredOn(r -> !r.tripped()).allSatisfy(r -> assertThat(r.step()).isEqualTo(2));
    }
}

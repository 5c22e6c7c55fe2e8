package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The guard's promise over the whole grid, through the simulator (minutes: tagged slow, run
 * by {@code ./mvnw -B verify -Pslow}). A/A migrations at 10, 100, 1 000 and 5 000 req/s, 1, 10 and
 * 50 % on new, 0.1, 1 and 5 % errors, 8 hours each, plus ramps that change the percent mid-run.
 *
 * <p>Margin: with a false-halt probability of at most 1 %, a scenario's count of false halts in
 * {@code R} runs is at most {@code Binomial(R, 0.01)}; each scenario may show up to the count whose
 * upper tail is below 0.1 % ({@link GuardSimulatorTest#falseHaltMargin}: 5 of 100), and the
 * whole grid's total up to the same bound for all its runs together.
 */
@Tag("slow")
class GuardPromiseTest {

    private static final int RUNS = 100;

    @Test
    void aaMigrationsAcrossTheGridHaltAtMostOnePercentOfTheTime() {
        List<GuardSimulator.Scenario> grid = new ArrayList<>();
        for (double rate : new double[] {10, 100, 1000, 5000}) {
            for (String percent : new String[] {"1", "10", "50"}) {
                for (double errors : new double[] {0.001, 0.01, 0.05}) {
                    grid.add(GuardSimulatorTest.scenario(rate, percent, errors, errors, Duration.ofHours(8), RUNS));
                }
            }
            for (String ramp : new String[] {"1:5m,10:10m,50:10m,100", "50:1h,5:1h,25"}) {
                grid.add(GuardSimulatorTest.scenario(rate, ramp, 0.01, 0.01, Duration.ofHours(8), RUNS));
            }
        }
        long total = 0;
        List<String> report = new ArrayList<>();
        for (GuardSimulator.Scenario s : grid) {
            GuardSimulator.Result r = GuardSimulator.simulate(s);
            total += r.trips();
            report.add(String.format("%6.0f req/s %-24s errors %.3f: %d of %d halted", s.rate(),
                    s.phases().stream().map(p -> p.percent() / 1000 + "%").toList(), s.oldErrorRate(), r.trips(), s.runs()));
            assertThat(r.trips()).as("false halts of %s", s).isLessThanOrEqualTo(GuardSimulatorTest.falseHaltMargin(RUNS));
        }
        System.out.println(String.join("\n", report));
        assertThat(total).isLessThanOrEqualTo(GuardSimulatorTest.falseHaltMargin(RUNS * grid.size()));
    }

    @Test
    void detectionTargetsHoldOverManyRuns() {
        // 1 000 seeded runs: "always within 3 min" is the slowest of them (2 min 7 s since the maxRatio
        // floor is an interval over the evidence's span; 3 min 44 s when it was the window's estimate)
        GuardSimulator.Result three = GuardSimulator.simulate(
                GuardSimulatorTest.scenario(200, "10", 0.01, 0.03, Duration.ofHours(1), 1000));
        assertThat(three.misses()).isZero();
        assertThat(three.tripTimeQuantile(0.5)).isLessThanOrEqualTo(Duration.ofSeconds(45));
        assertThat(three.tripTimeQuantile(1.0)).isLessThanOrEqualTo(Duration.ofMinutes(3));
        GuardSimulator.Result five = GuardSimulator.simulate(
                GuardSimulatorTest.scenario(200, "10", 0.01, 0.05, Duration.ofHours(1), 1000));
        assertThat(five.tripTimeQuantile(0.5)).isLessThanOrEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void maxRatioHoldsBackASmallDifferenceHoweverLongItIsWatched() {
        // 1.2x the old rate for 2 hours: certain after a while, but within maxRatio 2. The window's
        // point estimate, the floor until now, let 189 of these 200 through; the interval since the
        // evidence started lets through only the runs whose first minutes looked like 2x by chance.
        GuardSimulator.Result r = GuardSimulator.simulate(
                GuardSimulatorTest.scenario(200, "10", 0.01, 0.012, Duration.ofHours(2), 200));
        assertThat(r.trips()).isLessThanOrEqualTo(10);
    }

    @Test
    void aNewVariantHoveringJustBelowTheCeilingIsNotHaltedByNoise() {
        GuardSimulator.Result r = GuardSimulator.simulate(
                GuardSimulatorTest.scenario(1000, "50", 0.049, 0.049, Duration.ofHours(8), RUNS));
        assertThat(r.trips()).isLessThanOrEqualTo(GuardSimulatorTest.falseHaltMargin(RUNS));
    }
}

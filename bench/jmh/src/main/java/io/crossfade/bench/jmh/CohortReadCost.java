package io.crossfade.bench.jmh;

import io.crossfade.config.Placement;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@link CohortReadBenchmark}'s three cases measured interleaved, for a machine too busy for JMH's
 * one-after-the-other forks: rounds of 200 000 placements alternate between the cases, and each
 * case's fastest rounds (the least disturbed by other processes) are compared. Prints the cases'
 * best and median ns per placement and the ratio of the with-cohorts cases to the case without.
 *
 * <p>Run: {@code java -cp bench/jmh/target/benchmarks.jar io.crossfade.bench.jmh.CohortReadCost [rounds]}.
 */
public final class CohortReadCost {

    private static final int PER_ROUND = 200_000;
    private static volatile Object sink;

    private CohortReadCost() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        CohortReadBenchmark b = new CohortReadBenchmark();
        b.setUp();
        String[] names = {"withoutCohorts", "withCohortsUnitInNone", "withCohortsUnitInOne"};
        double[][] times = new double[3][rounds];
        for (int r = 0; r < rounds + 20; r++) {
            for (int c = 0; c < 3; c++) {
                int which = (r + c) % 3; // rotate the order so that no case always runs first
                long start = System.nanoTime();
                Placement last = null;
                for (int i = 0; i < PER_ROUND; i++) {
                    last = which == 0 ? b.withoutCohorts() : which == 1 ? b.withCohortsUnitInNone() : b.withCohortsUnitInOne();
                }
                sink = last;
                if (r >= 20) { // the first rounds warm the JIT up
                    times[which][r - 20] = (System.nanoTime() - start) / (double) PER_ROUND;
                }
            }
        }
        double base = best(times[0]);
        for (int c = 0; c < 3; c++) {
            double[] t = times[c].clone();
            Arrays.sort(t);
            System.out.printf(Locale.ROOT, "%-24s best-decile %.1f ns  median %.1f ns  ratio to withoutCohorts %.3f%n",
                    names[c], best(times[c]), t[t.length / 2], best(times[c]) / base);
        }
    }

    /** The mean of the fastest tenth of the rounds. */
    private static double best(double[] rounds) {
        double[] t = rounds.clone();
        Arrays.sort(t);
        int n = Math.max(1, t.length / 10);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += t[i];
        }
        return sum / n;
    }

}

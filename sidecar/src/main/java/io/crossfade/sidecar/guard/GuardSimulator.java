package io.crossfade.sidecar.guard;

import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.Percent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Runs the guard's real decision code ({@link MigrationWatch}: its window, totals and
 * {@link Evidence}, and {@link TripDecision}) on a virtual clock, for many simulated rollouts at
 * once: what {@code crossfade guard simulate} prints and what the guard's property tests check.
 *
 * <p>Each run is one migration watched from its start for {@code duration}. At every look
 * ({@link Guard#TICK} apart, as in the sidecar) the outcomes since the previous look arrive as one
 * batch: requests are a Poisson process of {@code rate} per second, split by the percent at that
 * moment, so the four counts (old ok, old errors, new ok, new errors) are independent Poisson
 * draws (thinning), not one draw per request. That keeps an 8-hour run at 200 req/s to 144 000
 * looks. A run ends at its first trip.
 *
 * <p>Runs are independent and seeded ({@code seed}, run index), so a scenario's results are the
 * same on every machine; they run in parallel. Thread-safe; stateless.
 */
public final class GuardSimulator {

    /**
     * One part of the percent's schedule.
     *
     * @param percent thousandths on the new variant
     * @param hold how long it lasts; null for the last phase (until the end of the run)
     */
    public record Phase(int percent, Duration hold) {
        public Phase {
            if (percent < 0 || percent > Percent.FULL) {
                throw new IllegalArgumentException("percent must be 0..100000 thousandths, got " + percent);
            }
        }
    }

    /**
     * What to simulate.
     *
     * @param rate requests per second, both variants together
     * @param phases the percent over time; the last one lasts until the end
     * @param oldErrorRate the old variant's true error rate
     * @param newErrorRate the new variant's true error rate
     * @param duration how long each run watches at most
     * @param runs how many independent runs
     * @param guard the guard rule
     * @param seed the seed of run 0; run {@code i} uses a stream split off deterministically
     */
    public record Scenario(double rate, List<Phase> phases, double oldErrorRate, double newErrorRate,
            Duration duration, int runs, GuardSpec guard, long seed) {

        public Scenario {
            Objects.requireNonNull(guard, "guard");
            phases = List.copyOf(phases);
            if (!(rate > 0) || Double.isInfinite(rate)) {
                throw new IllegalArgumentException("--rate must be a positive number of requests per second, got " + rate);
            }
            if (phases.isEmpty()) {
                throw new IllegalArgumentException("a scenario needs a percent");
            }
            if (!(oldErrorRate >= 0 && oldErrorRate <= 1) || !(newErrorRate >= 0 && newErrorRate <= 1)) {
                throw new IllegalArgumentException("error rates are fractions from 0 to 1 (0.01 is 1 %), got old "
                        + oldErrorRate + " and new " + newErrorRate);
            }
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("--hours must be positive");
            }
            if (runs < 1) {
                throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
            }
        }

        /**
         * True when the guard's promise covers it: the new variant fails no more often than the old
         * one and not above the ceiling, so every halt is a false halt.
         */
        public boolean noRegression() {
            return newErrorRate <= oldErrorRate && newErrorRate <= guard.maxErrorRate();
        }

        int percentAt(long millis) {
            long start = 0;
            for (Phase p : phases) {
                if (p.hold() == null || millis < start + p.hold().toMillis()) {
                    return p.percent();
                }
                start += p.hold().toMillis();
            }
            return phases.get(phases.size() - 1).percent();
        }
    }

    /**
     * One run's end.
     *
     * @param tripMillis when the guard tripped, in virtual milliseconds since the start; -1 when it never did
     * @param kind how it tripped, or null
     */
    public record Run(long tripMillis, Verdict.Kind kind) {

        /** True when the guard tripped. */
        public boolean tripped() {
            return tripMillis >= 0;
        }
    }

    /** The runs of a scenario, in run order. */
    public record Result(Scenario scenario, List<Run> runs) {

        /** How many runs the guard tripped. */
        public long trips() {
            return runs.stream().filter(Run::tripped).count();
        }

        /** Runs that never tripped. */
        public long misses() {
            return runs.size() - trips();
        }

        /** The share of runs that tripped. */
        public double tripShare() {
            return (double) trips() / runs.size();
        }

        /**
         * The Wilson score interval of the trip share at 95 % confidence: {@code [low, high]}.
         */
        public double[] tripShareInterval() {
            double n = runs.size();
            double p = tripShare();
            double z = 1.959963984540054;
            double centre = (p + z * z / (2 * n)) / (1 + z * z / n);
            double half = z / (1 + z * z / n) * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n));
            return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
        }

        /**
         * The {@code q} quantile (0-1, nearest rank) of the time to trip over all runs, a run that
         * never tripped counting as infinitely late; null when that quantile is such a run.
         */
        public Duration tripTimeQuantile(double q) {
            long[] times = runs.stream().mapToLong(r -> r.tripped() ? r.tripMillis() : Long.MAX_VALUE).sorted()
                    .toArray();
            int rank = (int) Math.ceil(q * times.length);
            long t = times[Math.max(0, Math.min(times.length - 1, rank - 1))];
            return t == Long.MAX_VALUE ? null : Duration.ofMillis(t);
        }

        /** How many runs tripped this way. */
        public long trips(Verdict.Kind kind) {
            return runs.stream().filter(r -> r.kind() == kind).count();
        }
    }

    private GuardSimulator() {
    }

    /** Runs every run of {@code scenario}, in parallel. */
    public static Result simulate(Scenario scenario) {
        SplittableRandom root = new SplittableRandom(scenario.seed());
        SplittableRandom[] streams = new SplittableRandom[scenario.runs()];
        for (int i = 0; i < streams.length; i++) {
            streams[i] = root.split();
        }
        Run[] runs = new Run[scenario.runs()];
        IntStream.range(0, runs.length).parallel().forEach(i -> runs[i] = run(scenario, streams[i]));
        return new Result(scenario, List.copyOf(Arrays.asList(runs)));
    }

    /** One run, on its own virtual clock. */
    static Run run(Scenario s, SplittableRandom random) {
        long[] now = {0};
        GuardSpec rule = s.guard();
        MigrationWatch watch = new MigrationWatch("simulated", "simulated", rule, -1, MigrationState.RUNNING,
                () -> now[0]);
        long look = Guard.TICK.toMillis();
        double perLook = s.rate() * look / 1000.0;
        long end = s.duration().toMillis();
        int percent = -1;
        Poisson[] draws = new Poisson[4];
        for (long t = 0; t < end; t += look) {
            int p = s.percentAt(t);
            if (p != percent) {
                percent = p;
                double newRequests = perLook * p / Percent.FULL;
                double oldRequests = perLook - newRequests;
                draws[0] = new Poisson(oldRequests * (1 - s.oldErrorRate()));
                draws[1] = new Poisson(oldRequests * s.oldErrorRate());
                draws[2] = new Poisson(newRequests * (1 - s.newErrorRate()));
                draws[3] = new Poisson(newRequests * s.newErrorRate());
            }
            long oldOk = draws[0].draw(random);
            long oldErrors = draws[1].draw(random);
            long newOk = draws[2].draw(random);
            long newErrors = draws[3].draw(random);
            now[0] = t + look;
            watch.record(oldOk, oldErrors, newOk, newErrors);
            // the simulator may skip the decision while no trip is possible; it would not trip
            if (watch.grow(rule)) {
                Verdict verdict = watch.decide(rule);
                if (verdict.trips()) {
                    return new Run(t + look, verdict.kind());
                }
            }
        }
        return new Run(-1, null);
    }

    /**
     * Poisson draws of one mean: inversion below 10, Hörmann's PTRS (transformed rejection with
     * squeeze, "The transformed rejection method for generating Poisson random variables", 1993)
     * above; exact in both ranges. The constants depend on the mean only, so they are computed once
     * per mean (a run's means change only when its percent does).
     */
    static final class Poisson {
        final double mean;
        private final double limit;
        private final double logMean;
        private final double a;
        private final double b;
        private final double lnInvAlpha;
        private final double vr;

        Poisson(double mean) {
            this.mean = mean;
            this.limit = Math.exp(-mean);
            this.logMean = Math.log(mean);
            this.b = 0.931 + 2.53 * Math.sqrt(mean);
            this.a = -0.059 + 0.02483 * b;
            this.lnInvAlpha = Math.log(1.1239 + 1.1328 / (b - 3.4));
            this.vr = 0.9277 - 3.6224 / (b - 2);
        }

        long draw(SplittableRandom random) {
            if (mean <= 0) {
                return 0;
            }
            if (mean < 10) {
                double product = random.nextDouble();
                long k = 0;
                while (product > limit) {
                    product *= random.nextDouble();
                    k++;
                }
                return k;
            }
            while (true) {
                double u = random.nextDouble() - 0.5;
                double v = random.nextDouble();
                double us = 0.5 - Math.abs(u);
                long k = (long) Math.floor((2 * a / us + b) * u + mean + 0.43);
                if (us >= 0.07 && v <= vr) {
                    return k;
                }
                if (k < 0 || (us < 0.013 && v > us)) {
                    continue;
                }
                if (Math.log(v) + lnInvAlpha - Math.log(a / (us * us) + b) <= -mean + k * logMean - lnFactorial(k)) {
                    return k;
                }
            }
        }
    }

    /** One Poisson draw of mean {@code mean} (tests). */
    static long poisson(SplittableRandom random, double mean) {
        return new Poisson(mean).draw(random);
    }

    private static final double[] LN_FACTORIAL = new double[256];

    static {
        for (int i = 1; i < LN_FACTORIAL.length; i++) {
            LN_FACTORIAL[i] = LN_FACTORIAL[i - 1] + Math.log(i);
        }
    }

    /** ln(k!): a table below 256, Stirling's series above (error below 1e-15 there). */
    static double lnFactorial(long k) {
        if (k < LN_FACTORIAL.length) {
            return LN_FACTORIAL[(int) k];
        }
        double x = k;
        double inv = 1 / x;
        double inv2 = inv * inv;
        return x * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI * x) + inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 / 1260));
    }

    /** Parses {@code 1:10m,10:1h,50}: percents with holds, the last without. */
    public static List<Phase> phases(String text) {
        List<Phase> out = new ArrayList<>();
        String[] parts = text.split(",");
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i].strip();
            int colon = part.indexOf(':');
            String percent = colon < 0 ? part : part.substring(0, colon);
            Duration hold = colon < 0 ? null : io.crossfade.config.Durations.parse(part.substring(colon + 1).strip());
            if (hold == null && i < parts.length - 1) {
                throw new IllegalArgumentException("every step but the last needs a hold, like 10:30m; got '" + part + "'");
            }
            out.add(new Phase(Percent.parse(percent.strip()), hold));
        }
        return out;
    }
}

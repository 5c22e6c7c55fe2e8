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
 * <p>Each run is one migration watched from its start for {@code duration}. A ramp ({@code phases}
 * of more than one) climbs by the sidecar's own rule ({@link RampStatus#climbs}): a step whose hold
 * has passed is extended while it lacks {@code minSamples} new-variant outcomes or the guard is
 * not healthy. At every look
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
            Duration duration, int runs, GuardSpec guard, long seed, Traffic traffic) {

        /** A scenario of independent requests ({@link Traffic#REQUESTS}). */
        public Scenario(double rate, List<Phase> phases, double oldErrorRate, double newErrorRate, Duration duration,
                int runs, GuardSpec guard, long seed) {
            this(rate, phases, oldErrorRate, newErrorRate, duration, runs, guard, seed, Traffic.REQUESTS);
        }

        /** The same scenario with other traffic. */
        public Scenario with(Traffic other) {
            return new Scenario(rate, phases, oldErrorRate, newErrorRate, duration, runs, guard, seed, other);
        }

        /** The same scenario with another count of runs. */
        public Scenario withRuns(int count) {
            return new Scenario(rate, phases, oldErrorRate, newErrorRate, duration, count, guard, seed, traffic);
        }

        public Scenario {
            Objects.requireNonNull(guard, "guard");
            traffic = traffic == null ? Traffic.REQUESTS : traffic;
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
            return newErrorRate <= oldErrorRate && newErrorRate <= guard.maxErrorRate() && traffic.brokenShare() == 0;
        }

        /** The phase (step) in force at {@code millis}, from 0. */
        int phaseAt(long millis) {
            long start = 0;
            for (int i = 0; i < phases.size(); i++) {
                Phase p = phases.get(i);
                if (p.hold() == null || millis < start + p.hold().toMillis()) {
                    return i;
                }
                start += p.hold().toMillis();
            }
            return phases.size() - 1;
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
     * The shape of the traffic: who sends it and how errors arrive.
     *
     * @param units how many distinct units (users) send the requests; 0 for independent requests,
     *     each its own unit
     * @param badShare the share of units whose error rate is {@code badRate} on either side (a
     *     heterogeneous population), 0 for none
     * @param badRate the error rate of those units
     * @param heavyShare the share of units that send {@code heavyWeight} times the traffic of the others
     * @param heavyWeight how many times
     * @param brokenShare the share of units for which the new value fails every request (a regression
     *     that breaks some users completely)
     * @param retries errors arrive in clusters of this many failed requests of one unit (1: alone);
     *     the error rate stays the same
     * @param stormAt when one unit on the new value starts a retry storm, or null for none
     * @param stormCount how many failed requests the storm sends
     * @param stormLength over how long
     * @param onset when the new value's error rates start to apply (before: the old value's), or null
     *     for the start
     * @param restartEvery how often the sidecar restarts (its evidence resumed from what it stored),
     *     or null for never
     */
    public record Traffic(int units, double badShare, double badRate, double heavyShare, double heavyWeight,
            double brokenShare, int retries, Duration stormAt, long stormCount, Duration stormLength, Duration onset,
            Duration restartEvery) {

        /** Independent requests: every request its own unit, errors one at a time. */
        public static final Traffic REQUESTS = new Traffic(0, 0, 0, 0, 1, 0, 1, null, 0, null, null, null);

        public Traffic {
            if (units < 0) {
                throw new IllegalArgumentException("--units must be 0 (independent requests) or more, got " + units);
            }
            if (units == 0 && (badShare > 0 || heavyShare > 0 || brokenShare > 0 || stormAt != null)) {
                throw new IllegalArgumentException("--bad-units, --heavy-units, --broken-units and --storm need --units");
            }
            checkShare("--bad-units", badShare);
            checkShare("--bad-units' rate", badRate);
            checkShare("--heavy-units", heavyShare);
            checkShare("--broken-units", brokenShare);
            if (!(heavyWeight >= 1) || Double.isInfinite(heavyWeight)) {
                throw new IllegalArgumentException("--heavy-units' weight must be at least 1, got " + heavyWeight);
            }
            if (retries < 1) {
                throw new IllegalArgumentException("--retries must be at least 1, got " + retries);
            }
            if (stormAt != null && (stormCount < 1 || stormLength == null || stormLength.isNegative()
                    || stormLength.isZero())) {
                throw new IllegalArgumentException("--storm needs AT:COUNT:DURATION with a count and a duration above 0");
            }
            if (restartEvery != null && restartEvery.toMillis() < Guard.TICK.toMillis()) {
                throw new IllegalArgumentException("--restart-every must be at least " + Guard.TICK.toMillis() + "ms");
            }
        }

        private static void checkShare(String what, double share) {
            if (!(share >= 0 && share <= 1)) {
                throw new IllegalArgumentException(what + " must be a fraction from 0 to 1, got " + share);
            }
        }

        /** The audit's population: 10 000 users, 0.5 % failing half their requests, 1 % sending 100x. */
        public static Traffic audited() {
            return new Traffic(10_000, 0.005, 0.5, 0.01, 100, 0, 1, null, 0, null, null, null);
        }

        public Traffic withRetries(int k) {
            return new Traffic(units, badShare, badRate, heavyShare, heavyWeight, brokenShare, k, stormAt, stormCount,
                    stormLength, onset, restartEvery);
        }

        public Traffic withStorm(Duration at, long count, Duration length) {
            return new Traffic(units, badShare, badRate, heavyShare, heavyWeight, brokenShare, retries, at, count,
                    length, onset, restartEvery);
        }

        public Traffic withOnset(Duration at) {
            return new Traffic(units, badShare, badRate, heavyShare, heavyWeight, brokenShare, retries, stormAt,
                    stormCount, stormLength, at, restartEvery);
        }

        public Traffic withBroken(double share) {
            return new Traffic(units, badShare, badRate, heavyShare, heavyWeight, share, retries, stormAt, stormCount,
                    stormLength, onset, restartEvery);
        }

        public Traffic withRestartEvery(Duration every) {
            return new Traffic(units, badShare, badRate, heavyShare, heavyWeight, brokenShare, retries, stormAt,
                    stormCount, stormLength, onset, every);
        }
    }

    /**
     * One run's end.
     *
     * @param tripMillis when the guard tripped, in virtual milliseconds since the start; -1 when it never did
     * @param kind how it tripped, or null
     * @param step the step (phase of the percent, from 0) it tripped on; for a ramp that never
     *     tripped, the step it reached; else -1
     */
    public record Run(long tripMillis, Verdict.Kind kind, int step) {

        Run(long tripMillis, Verdict.Kind kind) {
            this(tripMillis, kind, -1);
        }

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

        /** Runs that tripped before {@code millis} (before a late regression's onset: false halts). */
        public long tripsBefore(long millis) {
            return runs.stream().filter(r -> r.tripped() && r.tripMillis() < millis).count();
        }

        /**
         * As {@link #tripTimeQuantile}, counted from {@code millis} (a late regression's onset), over
         * the runs that had not tripped before it; null when that quantile never tripped.
         */
        public Duration tripTimeQuantileAfter(double q, long millis) {
            long[] times = runs.stream().filter(r -> !(r.tripped() && r.tripMillis() < millis))
                    .mapToLong(r -> r.tripped() ? r.tripMillis() - millis : Long.MAX_VALUE).sorted().toArray();
            if (times.length == 0) {
                return null;
            }
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
        Traffic traffic = s.traffic();
        MigrationWatch watch = newWatch(rule, now);
        long look = Guard.TICK.toMillis();
        long end = s.duration().toMillis();
        Population population = new Population(s, random);
        long onset = traffic.onset() == null ? 0 : traffic.onset().toMillis();
        long restartEvery = traffic.restartEvery() == null ? 0 : traffic.restartEvery().toMillis();
        long nextRestart = restartEvery == 0 ? Long.MAX_VALUE : restartEvery;
        long save = Guard.EVIDENCE_SAVE_INTERVAL.toMillis();
        // what the sidecar last stored before a restart: a save every 2 s means the last one is up to
        // 2 s before it; taking it then (not every 2 s) is the same evidence at a fraction of the cost
        long nextSave = restartEvery == 0 ? Long.MAX_VALUE : Math.max(0, nextRestart - save);
        StoredEvidence saved = restartEvery == 0 ? null : watch.storedEvidence(0);
        int percent = -1;
        boolean regressed = false;
        long[] groups = new long[UnitGroups.SIZE];
        // a ramp climbs by the sidecar's rule (RampStatus.climbs): a step is extended while the guard
        // waits for samples or cannot judge, exactly as in the sidecar
        boolean ramp = s.phases().size() > 1;
        int step = 0;
        long stepStart = 0;
        long newAtStepStart = 0;
        long newSeen = 0;
        for (long t = 0; t < end; t += look) {
            int p = ramp ? s.phases().get(step).percent() : s.percentAt(t);
            boolean after = t >= onset;
            if (p != percent || after != regressed) {
                percent = p;
                regressed = after;
                population.rates(percent, regressed);
            }
            java.util.Arrays.fill(groups, 0);
            long[] sum = null;
            if (traffic.units() == 0) {
                // independent requests are judged as aggregated counts: only the sides' totals matter
                sum = population.drawTotals(random);
            } else {
                population.draw(random, look / 1000.0, groups, t, look);
            }
            now[0] = t + look;
            if (t + look >= nextRestart) {
                // a restart: the evidence carries on from what the sidecar last stored; the outcomes
                // counted since that save are lost with the process
                watch = watch.restarted(rule, saved);
                nextRestart += restartEvery;
            }
            if (sum != null) {
                // independent requests are what aggregated counts are: judged as requests
                watch.record(sum[0], sum[1], sum[2], sum[3]);
                newSeen += sum[2] + sum[3];
            } else {
                newSeen += UnitGroups.totals(groups).newTotal();
                watch.recordUnits(groups);
            }
            // the simulator may skip the decision while no trip is possible; it would not trip
            boolean possible = watch.grow(rule);
            if (saved != null && t + look >= nextSave) {
                saved = watch.storedEvidence(0);
                nextSave = nextRestart + restartEvery - save;
            }
            Verdict verdict = null;
            if (possible) {
                verdict = watch.decide(rule);
                if (verdict.trips()) {
                    return new Run(t + look, verdict.kind(), ramp ? step : s.phaseAt(t));
                }
            }
            if (ramp && step < s.phases().size() - 1) {
                Phase phase = s.phases().get(step);
                Duration held = Duration.ofMillis(t + look - stepStart);
                long samples = newSeen - newAtStepStart;
                if (held.compareTo(phase.hold()) >= 0 && samples >= rule.minSamples()) {
                    if (verdict == null) {
                        verdict = watch.decide(rule);
                    }
                    GuardStatus status = verdict.kind() == Verdict.Kind.HEALTHY ? GuardStatus.HEALTHY
                            : GuardStatus.WAITING_FOR_SAMPLES;
                    if (RampStatus.climbs(new io.crossfade.config.Step(phase.percent(), phase.hold()), false, held,
                            samples, rule.minSamples(), status)) {
                        step++;
                        stepStart = t + look;
                        newAtStepStart = newSeen;
                    }
                }
            }
        }
        return new Run(-1, null, ramp ? step : -1);
    }

    private static MigrationWatch newWatch(GuardSpec rule, long[] now) {
        return new MigrationWatch("simulated", "simulated", rule, -1, MigrationState.RUNNING, () -> now[0]);
    }

    /**
     * The simulated units: each with a bucket (by the real {@link io.crossfade.config.Bucketing}, salt
     * {@code simulated}), a {@link UnitGroups group}, a traffic weight and an error rate per side.
     * Per look, the outcomes of each side and group are Poisson draws of the summed rates of its
     * units (the sum of independent Poisson processes is one), errors in clusters of
     * {@code retries}; with {@code units = 0} every request is its own unit, so each side's requests
     * spread evenly over the groups.
     */
    static final class Population {
        private final Scenario s;
        private final Traffic traffic;
        private final int[] bucket;
        private final int[] group;
        private final double[] weight;
        private final double[] oldRate;
        private final boolean[] broken;
        private final double totalWeight;
        private final Poisson[] okDraws = new Poisson[2 * UnitGroups.GROUPS];
        private final Poisson[] errorDraws = new Poisson[2 * UnitGroups.GROUPS];
        private final Poisson[] totalDraws = new Poisson[4];
        private int stormUnit = -1;
        private int percent;

        Population(Scenario s, SplittableRandom random) {
            this.s = s;
            this.traffic = s.traffic();
            int n = traffic.units();
            bucket = new int[n];
            group = new int[n];
            weight = new double[n];
            oldRate = new double[n];
            broken = new boolean[n];
            double total = 0;
            // a unit's id includes a per-run draw, so that runs differ in who lands where
            long salt = random.nextLong();
            for (int i = 0; i < n; i++) {
                String unit = "u" + Long.toHexString(salt) + "-" + i;
                bucket[i] = io.crossfade.config.Bucketing.bucket("simulated", unit);
                group[i] = UnitGroups.of(unit);
                weight[i] = random.nextDouble() < traffic.heavyShare() ? traffic.heavyWeight() : 1;
                oldRate[i] = random.nextDouble() < traffic.badShare() ? traffic.badRate() : s.oldErrorRate();
                broken[i] = random.nextDouble() < traffic.brokenShare();
                total += weight[i];
            }
            totalWeight = total;
        }

        /** Sets the per-group rates for {@code percent}, with or without the new value's regression. */
        void rates(int percent, boolean regressed) {
            this.percent = percent;
            double[] ok = new double[2 * UnitGroups.GROUPS];
            double[] errors = new double[2 * UnitGroups.GROUPS];
            int k = traffic.retries();
            double factor = s.oldErrorRate() > 0 ? s.newErrorRate() / s.oldErrorRate() : Double.NaN;
            if (traffic.units() == 0) {
                double perGroupNew = s.rate() * percent / Percent.FULL / UnitGroups.GROUPS;
                double perGroupOld = s.rate() / UnitGroups.GROUPS - perGroupNew;
                double newRate = regressed ? s.newErrorRate() : s.oldErrorRate();
                for (int g = 0; g < UnitGroups.GROUPS; g++) {
                    ok[g] = perGroupOld * (1 - s.oldErrorRate());
                    errors[g] = perGroupOld * s.oldErrorRate() / k;
                    ok[UnitGroups.GROUPS + g] = perGroupNew * (1 - newRate);
                    errors[UnitGroups.GROUPS + g] = perGroupNew * newRate / k;
                }
            } else {
                for (int i = 0; i < bucket.length; i++) {
                    boolean onNew = bucket[i] < percent;
                    double lambda = s.rate() * weight[i] / totalWeight;
                    double p = oldRate[i];
                    if (onNew && regressed) {
                        if (broken[i]) {
                            p = 1;
                        } else {
                            p = Double.isNaN(factor) ? Math.max(p, s.newErrorRate()) : Math.min(1, p * factor);
                        }
                    }
                    int at = (onNew ? UnitGroups.GROUPS : 0) + group[i];
                    ok[at] += lambda * (1 - p);
                    errors[at] += lambda * p / k;
                }
            }
            double seconds = Guard.TICK.toMillis() / 1000.0;
            double[] totals = new double[4];
            for (int i = 0; i < ok.length; i++) {
                okDraws[i] = new Poisson(ok[i] * seconds);
                errorDraws[i] = new Poisson(errors[i] * seconds);
                int side = i < UnitGroups.GROUPS ? 0 : 2;
                totals[side] += ok[i] * seconds;
                totals[side + 1] += errors[i] * seconds;
            }
            for (int i = 0; i < 4; i++) {
                totalDraws[i] = new Poisson(totals[i]);
            }
        }

        /**
         * One look's outcomes of independent requests as the sides' totals (old ok, old errors, new
         * ok, new errors): the sum of the groups' Poisson counts is the Poisson count of their sum.
         */
        long[] drawTotals(SplittableRandom random) {
            int k = traffic.retries();
            return new long[] {totalDraws[0].draw(random), totalDraws[1].draw(random) * k, totalDraws[2].draw(random),
                    totalDraws[3].draw(random) * k};
        }

        /** One look's outcomes into {@code groups} ({@link UnitGroups} layout). */
        void draw(SplittableRandom random, double seconds, long[] groups, long t, long look) {
            int k = traffic.retries();
            for (int i = 0; i < okDraws.length; i++) {
                int side = i < UnitGroups.GROUPS ? UnitGroups.OLD : UnitGroups.NEW;
                int at = UnitGroups.index(side, i % UnitGroups.GROUPS);
                long ok = okDraws[i].draw(random);
                long errors = errorDraws[i].draw(random) * k;
                groups[at] += ok + errors;
                groups[at + 1] += errors;
            }
            if (traffic.stormAt() != null) {
                long from = traffic.stormAt().toMillis();
                long length = traffic.stormLength().toMillis();
                if (t + look > from && t < from + length) {
                    if (stormUnit < 0) {
                        stormUnit = firstOnNew();
                    }
                    if (stormUnit >= 0) {
                        long before = traffic.stormCount() * Math.max(0, Math.min(length, t - from)) / length;
                        long upTo = traffic.stormCount() * Math.max(0, Math.min(length, t + look - from)) / length;
                        boolean onNew = bucket[stormUnit] < percent;
                        int at = UnitGroups.index(onNew ? UnitGroups.NEW : UnitGroups.OLD, group[stormUnit]);
                        groups[at] += upTo - before;
                        groups[at + 1] += upTo - before;
                    }
                }
            }
        }

        /** The storm's unit: the first unit on the new value (the worst case: its errors count against new). */
        private int firstOnNew() {
            for (int i = 0; i < bucket.length; i++) {
                if (bucket[i] < percent) {
                    return i;
                }
            }
            return -1;
        }
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

package io.crossfade.sidecar.guard;

import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationState;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The guard's bookkeeping for one migration (one migration id of one key): its guard window (the
 * rates shown and the {@code minSamples} and {@code maxRatio} floors), running totals of every
 * outcome, the {@link Evidence} grown from the judged totals' deltas at each {@link #look look}, the
 * new-variant outcomes of the current ramp hold, and its {@link GuardStatus}. What is judged comes
 * through its {@link OutcomePool}: this sidecar's own counts, or, in a fleet, every live instance's
 * counts of the same migration added up; the statistic never knows which.
 *
 * <p>Thread-safety: {@link #record} runs on event loops, lock-free (adds into {@link LongAdder}s).
 * {@link #look}, the {@code fresh*} methods and the status fields are for the guard's thread only;
 * the volatile fields let views read them from any thread. A look may see a batch in the totals a
 * moment before it shows in the window; neither loses it.
 */
final class MigrationWatch {

    /**
     * One hold of one step: the judged new-variant total when it started, so that the hold's samples
     * are the judged (pooled, in a fleet) new-variant outcomes since.
     */
    static final class HoldTally {
        final int stepIndex;
        final long newAtStart;

        HoldTally(int stepIndex, long newAtStart) {
            this.stepIndex = stepIndex;
            this.newAtStart = newAtStart;
        }
    }

    /** Where this sidecar's published counts start: a run id and the totals at its start. */
    private record Run(String id, GuardTotals baseline) {
    }

    final String key;
    final String migrationId;
    private final LongSupplier millis;
    private final OutcomePool pool;
    private volatile Run run = new Run(java.util.UUID.randomUUID().toString(), GuardTotals.EMPTY);
    private volatile OutcomeWindow window;
    private volatile HoldTally hold;
    private final LongAdder oldOk = new LongAdder();
    private final LongAdder oldErrors = new LongAdder();
    private final LongAdder newOk = new LongAdder();
    private final LongAdder newErrors = new LongAdder();
    /** Per-unit outcomes by side and group ({@link UnitGroups} layout). */
    private final AtomicLongArray unitGroups = new AtomicLongArray(UnitGroups.SIZE);
    /**
     * Per-unit outcomes of units a cohort placed, by side and group: not randomised, so never in the
     * comparison; their new side feeds {@link #cohorts}, judged by the ceiling alone.
     */
    private final AtomicLongArray cohortGroups = new AtomicLongArray(UnitGroups.SIZE);
    private volatile OutcomeWindow cohortWindow;
    final AtomicBoolean evaluationPending = new AtomicBoolean();
    /** When the guard's thread last started a look that recorded outcomes asked for ({@link System#nanoTime}). */
    volatile long lastRequestedLookNanos = System.nanoTime() - Guard.EVALUATION_GAP.toNanos();

    // Written by the guard's thread only.
    private GuardTotals lookedAt = GuardTotals.EMPTY;
    // for a sidecar's own counts (OutcomePool.LOCAL): the unit groups as of the last look, and a buffer
    private final long[] lookedAtGroups = new long[UnitGroups.SIZE];
    private final long[] unitDelta = new long[UnitGroups.SIZE];
    private ChangeEvidence units;
    private ChangeEvidence requests;
    /** The ceiling test of the units a cohort put on new (its ratio test never runs: no old side). */
    private ChangeEvidence cohorts;
    private long[] cohortLookedAt = new long[UnitGroups.SIZE];
    private volatile ChangeEvidence.Judgement lastCohorts;
    private volatile Verdict lastVerdict;
    private volatile ChangeEvidence.Judgement lastUnits;
    private volatile ChangeEvidence.Judgement lastRequests;
    volatile GuardStatus status;
    volatile Instant lastTripAt;
    volatile String lastTripAction;
    volatile String lastTripReason;
    MigrationState lastState;
    boolean stepRequested;
    String lastFailure;

    MigrationWatch(String key, String migrationId, GuardSpec rule, int stepIndex, MigrationState state,
            LongSupplier millis) {
        this(key, migrationId, rule, stepIndex, state, millis, OutcomePool.LOCAL);
    }

    /**
     * @param pool where the counts judged come from: this sidecar's own, or a fleet's pooled ones
     */
    MigrationWatch(String key, String migrationId, GuardSpec rule, int stepIndex, MigrationState state,
            LongSupplier millis, OutcomePool pool) {
        this.key = key;
        this.migrationId = migrationId;
        this.millis = millis;
        this.pool = pool;
        this.window = new OutcomeWindow(rule.window(), millis);
        this.hold = new HoldTally(stepIndex, 0);
        this.lastState = state;
        this.units = new ChangeEvidence(ChangeEvidence.Sample.UNITS, rule.maxErrorRate(), rule.window(), millis.getAsLong());
        this.requests = new ChangeEvidence(ChangeEvidence.Sample.REQUESTS, rule.maxErrorRate(), rule.window(), millis.getAsLong());
        this.cohorts = new ChangeEvidence(ChangeEvidence.Sample.UNITS, rule.maxErrorRate(), rule.window(), millis.getAsLong());
        this.cohortWindow = new OutcomeWindow(rule.window(), millis);
        this.status = state == MigrationState.RUNNING ? GuardStatus.WAITING_FOR_SAMPLES : GuardStatus.IDLE;
    }

    /**
     * Adds one batch's aggregated outcomes of this migration (counts without units): to the window
     * and the totals. Any thread.
     */
    void record(long oOk, long oErrors, long nOk, long nErrors) {
        window.record(oOk, oErrors, nOk, nErrors);
        add(oldOk, oOk);
        add(oldErrors, oErrors);
        add(newOk, nOk);
        add(newErrors, nErrors);
    }

    /**
     * Adds per-unit outcomes of this migration, counted by side and {@link UnitGroups group}
     * ({@code groups} in the {@link UnitGroups} layout, not kept): to the window and the unit
     * totals. Any thread.
     */
    void recordUnits(long[] groups) {
        WindowCounts sum = UnitGroups.totals(groups);
        window.record(sum.oldOk(), sum.oldErrors(), sum.newOk(), sum.newErrors());
        for (int i = 0; i < groups.length; i++) {
            if (groups[i] != 0) {
                unitGroups.addAndGet(i, groups[i]);
            }
        }
    }

    /**
     * Adds per-unit outcomes of units a cohort placed ({@link UnitGroups} layout, not kept): to the
     * cohort window and totals only, never to the comparison. Any thread. The cohort counts are this
     * sidecar's own (not pooled in a fleet) and start afresh after a restart.
     */
    void recordCohort(long[] groups) {
        WindowCounts sum = sumOf(groups);
        cohortWindow.record(sum.oldOk(), sum.oldErrors(), sum.newOk(), sum.newErrors());
        for (int i = 0; i < groups.length; i++) {
            if (groups[i] != 0) {
                cohortGroups.addAndGet(i, groups[i]);
            }
        }
    }

    private static WindowCounts sumOf(long[] groups) {
        long oOk = 0;
        long oErrors = 0;
        long nOk = 0;
        long nErrors = 0;
        for (int g = 0; g < UnitGroups.GROUPS; g++) {
            int o = UnitGroups.index(UnitGroups.OLD, g);
            int n = UnitGroups.index(UnitGroups.NEW, g);
            oOk += groups[o] - groups[o + 1];
            oErrors += groups[o + 1];
            nOk += groups[n] - groups[n + 1];
            nErrors += groups[n + 1];
        }
        return new WindowCounts(oOk, oErrors, nOk, nErrors);
    }

    /** The cohort-placed units' window, shown apart. Any thread. */
    OutcomeWindow cohortWindow() {
        return cohortWindow;
    }

    /** The cohort ceiling test's judgement at the last look, or null before the first. */
    ChangeEvidence.Judgement lastCohorts() {
        return lastCohorts;
    }

    /** The cohort counts' new side since the last look; the old side is left out, so no ratio is ever judged. */
    private long[] cohortDelta() {
        long[] delta = new long[UnitGroups.SIZE];
        for (int g = 0; g < UnitGroups.GROUPS; g++) {
            int n = UnitGroups.index(UnitGroups.NEW, g);
            long outcomes = cohortGroups.get(n);
            long errors = cohortGroups.get(n + 1);
            delta[n] = outcomes - cohortLookedAt[n];
            delta[n + 1] = errors - cohortLookedAt[n + 1];
            cohortLookedAt[n] = outcomes;
            cohortLookedAt[n + 1] = errors;
        }
        return delta;
    }

    private static void add(LongAdder adder, long n) {
        if (n > 0) {
            adder.add(n);
        }
    }

    /**
     * One look: grows the evidence by the outcomes counted since the previous look and decides.
     * Guard thread only.
     */
    Verdict look(GuardSpec rule) {
        grow(rule);
        return decide(rule);
    }

    /**
     * The first half of a look: grows the evidence by the outcomes counted since the previous look.
     * Returns false when no trip is possible yet (the detectors' upper bounds are below the
     * threshold, and the design effects and floors only ever lower them), so that the simulator
     * may skip {@link #decide}: it would not trip. Guard thread only.
     */
    boolean grow(GuardSpec rule) {
        if (!window.length().equals(rule.window())) {
            window = new OutcomeWindow(rule.window(), millis); // the files changed the window's length
            units.window(rule.window());
            requests.window(rule.window());
            cohorts.window(rule.window());
            cohortWindow = new OutcomeWindow(rule.window(), millis);
        }
        if (units.maxErrorRate() != rule.maxErrorRate()) {
            // a new ceiling is a new test: its martingale must start at 1
            freshEvidence(rule);
        }
        long now = millis.getAsLong();
        if (pool == OutcomePool.LOCAL) {
            // this sidecar's own counts: read straight into reused buffers (the simulator's hot path)
            long[] seen = lookedAtGroups;
            for (int i = 0; i < seen.length; i++) {
                long v = unitGroups.get(i);
                unitDelta[i] = v - seen[i];
                seen[i] = v;
            }
            WindowCounts req = new WindowCounts(oldOk.sum(), oldErrors.sum(), newOk.sum(), newErrors.sum());
            WindowCounts before = lookedAt.requests();
            lookedAt = new GuardTotals(req, null);
            units.look(now, unitDelta);
            requests.look(now, new GuardTotals(new WindowCounts(req.oldOk() - before.oldOk(),
                    req.oldErrors() - before.oldErrors(), req.newOk() - before.newOk(),
                    req.newErrors() - before.newErrors()), null).requestsAsGroups());
        } else {
            GuardTotals totals = judgedTotals();
            GuardTotals delta = totals.minus(lookedAt);
            lookedAt = totals;
            units.look(now, delta.groupsView());
            requests.look(now, delta.requestsAsGroups());
        }
        cohorts.look(now, cohortDelta());
        double threshold = -Math.log(1 - rule.confidence());
        // the decision averages the detectors that have outcomes: one above the line is the only
        // way their average can be
        return units.logBound(rule, now) >= threshold || requests.logBound(rule, now) >= threshold
                || cohorts.logBound(rule, now) >= threshold;
    }

    /** The second half of a look: decides on the evidence and the window as they are. Guard thread only. */
    Verdict decide(GuardSpec rule) {
        long now = millis.getAsLong();
        ChangeEvidence.Judgement u = units.judge(rule, now);
        ChangeEvidence.Judgement r = requests.judge(rule, now);
        ChangeEvidence.Judgement c = cohorts.judge(rule, now);
        Verdict verdict = TripDecision.decide(rule, u, r, c, judgedWindow(), cohortWindow.counts());
        lastCohorts = c;
        lastUnits = u;
        lastRequests = r;
        lastVerdict = verdict;
        return verdict;
    }

    /** The judged totals as they are now become what the next look's outcomes are counted from. */
    private void markLookedAt() {
        lookedAt = judgedTotals();
        if (pool == OutcomePool.LOCAL) {
            long[] g = lookedAt.groupsView();
            System.arraycopy(g, 0, lookedAtGroups, 0, g.length);
        }
    }

    /** Every outcome recorded here so far, by kind and unit group. */
    GuardTotals totals() {
        long[] groups = new long[UnitGroups.SIZE];
        for (int i = 0; i < groups.length; i++) {
            groups[i] = unitGroups.get(i);
        }
        return new GuardTotals(new WindowCounts(oldOk.sum(), oldErrors.sum(), newOk.sum(), newErrors.sum()), groups);
    }

    /** The running totals the guard judges: this sidecar's, or the fleet's pooled ones. Any thread. */
    GuardTotals judgedTotals() {
        return pool.totals(migrationId, totals());
    }

    /** The window the guard judges: this sidecar's, or the fleet's live instances' summed. Any thread. */
    WindowCounts judgedWindow() {
        return pool.window(migrationId, window.counts());
    }

    /** What this sidecar counted since it last started afresh, for a fleet's pool. Any thread. */
    RunCounts published() {
        Run r = run;
        return new RunCounts(r.id(), totals().minus(r.baseline()), window.counts());
    }

    OutcomeWindow window() {
        return window;
    }

    /** The per-unit detector's judgement at the last look, or null before the first. */
    ChangeEvidence.Judgement lastUnits() {
        return lastUnits;
    }

    /** The aggregated-counts detector's judgement at the last look, or null before the first. */
    ChangeEvidence.Judgement lastRequests() {
        return lastRequests;
    }

    /** The verdict of the last look, or null before the first. */
    Verdict lastVerdict() {
        return lastVerdict;
    }

    /**
     * Starts afresh: an empty window, and evidence from 1 counting only outcomes from now on (the
     * migration runs again after a halt, a pause or a rollback). Guard thread only.
     */
    void freshStart(GuardSpec rule) {
        window = new OutcomeWindow(rule.window(), millis);
        cohortWindow = new OutcomeWindow(rule.window(), millis);
        run = new Run(java.util.UUID.randomUUID().toString(), totals());
        freshEvidence(rule);
    }

    private void freshEvidence(GuardSpec rule) {
        markLookedAt();
        units = new ChangeEvidence(ChangeEvidence.Sample.UNITS, rule.maxErrorRate(), rule.window(), millis.getAsLong());
        requests = new ChangeEvidence(ChangeEvidence.Sample.REQUESTS, rule.maxErrorRate(), rule.window(), millis.getAsLong());
        freshCohortEvidence(rule.maxErrorRate(), rule.window());
        lastVerdict = null;
        lastUnits = null;
        lastRequests = null;
    }

    private void freshCohortEvidence(double maxErrorRate, Duration window) {
        cohorts = new ChangeEvidence(ChangeEvidence.Sample.UNITS, maxErrorRate, window, millis.getAsLong());
        for (int i = 0; i < cohortLookedAt.length; i++) {
            cohortLookedAt[i] = cohortGroups.get(i);
        }
        lastCohorts = null;
    }

    /**
     * The stored form of this watch's evidence, as of now: both detectors. Guard thread only.
     */
    /** Outcomes both detectors have grown from: unchanged means there is nothing new to store. */
    long evidenceOutcomes() {
        return units.outcomes() + requests.outcomes();
    }

    /** {@link #evidenceOutcomes()} when the evidence was last handed to the store; guard thread only. */
    long storedOutcomes;

    StoredEvidence storedEvidence(long revision) {
        long now = millis.getAsLong();
        return new StoredEvidence(migrationId, revision, units.state(now), requests.state(now));
    }

    /**
     * Resumes the evidence from {@code stored} (what this migration's guard stored before a restart,
     * or what the fleet's last judge stored): the same test carries on. Counting starts from this
     * sidecar's totals as they are now. Guard thread only.
     *
     * @throws IllegalArgumentException when {@code stored} is of another migration or cannot be read
     */
    void resume(StoredEvidence stored) {
        if (!migrationId.equals(stored.migrationId())) {
            throw new IllegalArgumentException("stored evidence of migration " + stored.migrationId() + ", not "
                    + migrationId);
        }
        long now = millis.getAsLong();
        ChangeEvidence u = ChangeEvidence.restore(stored.units(), now);
        ChangeEvidence r = ChangeEvidence.restore(stored.requests(), now);
        units = u;
        requests = r;
        markLookedAt();
        // not stored: the cohort ceiling test starts afresh after a restart
        freshCohortEvidence(u.maxErrorRate(), window.length());
        lastVerdict = null;
        lastUnits = null;
        lastRequests = null;
    }

    /**
     * A watch as a restarted sidecar would have it: nothing counted and an empty window, the
     * evidence resumed from {@code stored} (for the simulator's restarts). Guard thread only.
     */
    MigrationWatch restarted(GuardSpec rule, StoredEvidence stored) {
        MigrationWatch fresh = new MigrationWatch(key, migrationId, rule, hold.stepIndex, lastState, millis, pool);
        fresh.resume(stored);
        return fresh;
    }

    HoldTally hold() {
        return hold;
    }

    /** Starts counting a new hold of step {@code stepIndex} from zero. */
    void freshHold(int stepIndex) {
        hold = new HoldTally(stepIndex, newSamples());
    }

    /**
     * New-variant outcomes judged (pooled, in a fleet) during the current hold, with those of units
     * a cohort included (judged by the ceiling): a ramp's 0 % step with {@code include} is held on
     * those alone.
     */
    long holdSamples() {
        HoldTally h = hold;
        return Math.max(0, newSamples() - h.newAtStart);
    }

    private long newSamples() {
        long cohortNew = 0;
        for (int g = 0; g < UnitGroups.GROUPS; g++) {
            cohortNew += cohortGroups.get(UnitGroups.index(UnitGroups.NEW, g));
        }
        return judgedTotals().all().newTotal() + cohortNew;
    }
}

package io.crossfade.sidecar.guard;

import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationState;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
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
    private record Run(String id, WindowCounts baseline) {
    }

    final String key;
    final String migrationId;
    private final LongSupplier millis;
    private final OutcomePool pool;
    private volatile Run run = new Run(java.util.UUID.randomUUID().toString(), WindowCounts.EMPTY);
    private volatile OutcomeWindow window;
    private volatile HoldTally hold;
    private final LongAdder oldOk = new LongAdder();
    private final LongAdder oldErrors = new LongAdder();
    private final LongAdder newOk = new LongAdder();
    private final LongAdder newErrors = new LongAdder();
    final AtomicBoolean evaluationPending = new AtomicBoolean();

    // Written by the guard's thread only.
    private WindowCounts lookedAt = WindowCounts.EMPTY;
    private volatile Evidence evidence;
    private volatile Verdict lastVerdict;
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
        this.evidence = Evidence.start(rule.maxErrorRate());
        this.status = state == MigrationState.RUNNING ? GuardStatus.WAITING_FOR_SAMPLES : GuardStatus.IDLE;
    }

    /** Adds one batch's outcomes of this migration: to the window and the totals. Any thread. */
    void record(long oOk, long oErrors, long nOk, long nErrors) {
        window.record(oOk, oErrors, nOk, nErrors);
        add(oldOk, oOk);
        add(oldErrors, oErrors);
        add(newOk, nOk);
        add(newErrors, nErrors);
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
     * Returns false when no trip is possible yet ({@link Evidence#logUpperBound()} is below the
     * threshold, and the decision's floors only ever lower the evidence), so that the simulator may
     * skip {@link #decide}: it would not trip. Guard thread only.
     */
    boolean grow(GuardSpec rule) {
        if (!window.length().equals(rule.window())) {
            window = new OutcomeWindow(rule.window(), millis); // the files changed the window's length
        }
        if (evidence.maxErrorRate() != rule.maxErrorRate()) {
            // a new ceiling is a new test: its martingale must start at 1
            freshEvidence(rule);
        }
        WindowCounts totals = judgedTotals();
        WindowCounts delta = new WindowCounts(totals.oldOk() - lookedAt.oldOk(), totals.oldErrors() - lookedAt.oldErrors(),
                totals.newOk() - lookedAt.newOk(), totals.newErrors() - lookedAt.newErrors());
        lookedAt = totals;
        evidence = evidence.after(delta);
        return evidence.logUpperBound() >= -Math.log(1 - rule.confidence());
    }

    /** The second half of a look: decides on the evidence and the window as they are. Guard thread only. */
    Verdict decide(GuardSpec rule) {
        Verdict verdict = TripDecision.decide(rule, evidence, judgedWindow());
        lastVerdict = verdict;
        return verdict;
    }

    /** Every outcome recorded here so far. */
    WindowCounts totals() {
        return new WindowCounts(oldOk.sum(), oldErrors.sum(), newOk.sum(), newErrors.sum());
    }

    /** The running totals the guard judges: this sidecar's, or the fleet's pooled ones. Any thread. */
    WindowCounts judgedTotals() {
        return pool.totals(migrationId, totals());
    }

    /** The window the guard judges: this sidecar's, or the fleet's live instances' summed. Any thread. */
    WindowCounts judgedWindow() {
        return pool.window(migrationId, window.counts());
    }

    /** What this sidecar counted since it last started afresh, for a fleet's pool. Any thread. */
    RunCounts published() {
        Run r = run;
        WindowCounts t = totals();
        WindowCounts b = r.baseline();
        return new RunCounts(r.id(), new WindowCounts(t.oldOk() - b.oldOk(), t.oldErrors() - b.oldErrors(),
                t.newOk() - b.newOk(), t.newErrors() - b.newErrors()), window.counts());
    }

    OutcomeWindow window() {
        return window;
    }

    /** The evidence as of the last look. */
    Evidence evidence() {
        return evidence;
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
        run = new Run(java.util.UUID.randomUUID().toString(), totals());
        freshEvidence(rule);
    }

    private void freshEvidence(GuardSpec rule) {
        lookedAt = judgedTotals();
        evidence = Evidence.start(rule.maxErrorRate());
        lastVerdict = null;
    }

    HoldTally hold() {
        return hold;
    }

    /** Starts counting a new hold of step {@code stepIndex} from zero. */
    void freshHold(int stepIndex) {
        hold = new HoldTally(stepIndex, judgedTotals().newTotal());
    }

    /** New-variant outcomes judged (pooled, in a fleet) during the current hold. */
    long holdSamples() {
        HoldTally h = hold;
        return Math.max(0, judgedTotals().newTotal() - h.newAtStart);
    }
}

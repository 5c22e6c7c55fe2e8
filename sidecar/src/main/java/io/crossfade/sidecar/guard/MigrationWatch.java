package io.crossfade.sidecar.guard;

import io.crossfade.config.MigrationState;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The guard's state for one migration (one migration id of one key): its outcome window, the
 * new-variant outcomes of the current ramp hold, and its {@link GuardStatus}.
 *
 * <p>Thread-safety: {@link #record} runs on event loops, lock-free. Everything else is written only
 * by the guard's thread; the volatile fields let {@code /ready} read them from any thread.
 */
final class MigrationWatch {

    /** New-variant outcomes seen during one hold of one step. */
    static final class HoldTally {
        final int stepIndex;
        final LongAdder newOutcomes = new LongAdder();

        HoldTally(int stepIndex) {
            this.stepIndex = stepIndex;
        }
    }

    final String key;
    final String migrationId;
    private final LongSupplier millis;
    private volatile OutcomeWindow window;
    private volatile HoldTally hold;
    final AtomicBoolean evaluationPending = new AtomicBoolean();

    // Written by the guard's thread only.
    volatile GuardStatus status;
    volatile Instant lastTripAt;
    volatile String lastTripAction;
    volatile String lastTripReason;
    MigrationState lastState;
    boolean stepRequested;
    String lastFailure;

    MigrationWatch(String key, String migrationId, Duration window, int stepIndex, MigrationState state,
            LongSupplier millis) {
        this.key = key;
        this.migrationId = migrationId;
        this.millis = millis;
        this.window = new OutcomeWindow(window, millis);
        this.hold = new HoldTally(stepIndex);
        this.lastState = state;
        this.status = state == MigrationState.RUNNING ? GuardStatus.WAITING_FOR_SAMPLES : GuardStatus.IDLE;
    }

    /** Adds one batch's outcomes of this migration: to the window, and the new-variant ones to the hold's tally. */
    void record(long oldOk, long oldErrors, long newOk, long newErrors) {
        window.record(oldOk, oldErrors, newOk, newErrors);
        if (newOk + newErrors > 0) {
            hold.newOutcomes.add(newOk + newErrors);
        }
    }

    OutcomeWindow window() {
        return window;
    }

    /** Forgets every outcome: a fresh window of {@code length}. */
    void freshWindow(Duration length) {
        window = new OutcomeWindow(length, millis);
    }

    HoldTally hold() {
        return hold;
    }

    /** Starts counting a new hold of step {@code stepIndex} from zero. */
    void freshHold(int stepIndex) {
        hold = new HoldTally(stepIndex);
    }

    /** New-variant outcomes seen during the current hold. */
    long holdSamples() {
        return hold.newOutcomes.sum();
    }
}

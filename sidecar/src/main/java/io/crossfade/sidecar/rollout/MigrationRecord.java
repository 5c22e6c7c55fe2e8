package io.crossfade.sidecar.rollout;

import io.crossfade.config.MigrationState;
import io.crossfade.config.MigrationStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The durable state of one migration: what operators, the guard and the ramp decided since the
 * files declared it. Immutable; every change makes a new record.
 *
 * @param id the migration's identity ({@code MigrationSpec#id()})
 * @param key the setting key
 * @param percent current percent in thousandths (0 when rolled back, 100 000 when completed)
 * @param state current state
 * @param revision audit sequence number of the last change to this record; the admin API's ETag
 * @param manual true when an operator's {@code set} took the migration off its ramp (until {@code resume})
 * @param stepIndex index of the ramp step being held; -1 when the migration has no steps
 * @param holdStartedAt when the current step's hold clock last started; null while it is stopped
 *     (paused, halted, off the ramp, no steps)
 * @param heldMillis hold time accumulated before {@code holdStartedAt}
 * @param reason the reason given for the last change, for status displays
 * @param createdAt when the migration was first seen
 * @param updatedAt when this record last changed
 * @param haltedBy who halted or rolled the migration back (the audit actor: {@code guard}, or an
 *     operator's token name); null while it is not halted or rolled back, and in state files written
 *     before this field existed
 * @param operatorInclude units an operator put on new whatever the percent ({@code ctl include}), sorted;
 *     kept apart from the files' {@code include}; empty (never null) in state files written before it existed
 * @param operatorExclude units an operator keeps on old ({@code ctl exclude}), sorted; likewise
 */
public record MigrationRecord(
        String id,
        String key,
        int percent,
        MigrationState state,
        long revision,
        boolean manual,
        int stepIndex,
        Instant holdStartedAt,
        long heldMillis,
        String reason,
        Instant createdAt,
        Instant updatedAt,
        String haltedBy,
        List<String> operatorInclude,
        List<String> operatorExclude) {

    /** Most units in each of an operator's lists: the lists travel in every record and audit event. */
    public static final int MAX_OPERATOR_UNITS = 1000;

    public MigrationRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(state, "state");
        operatorInclude = operatorInclude == null ? List.of() : List.copyOf(new TreeSet<>(operatorInclude));
        operatorExclude = operatorExclude == null ? List.of() : List.copyOf(new TreeSet<>(operatorExclude));
    }

    /** A copy with the operator's lists replaced. */
    public MigrationRecord withOperatorLists(Collection<String> include, Collection<String> exclude) {
        return new MigrationRecord(id, key, percent, state, revision, manual, stepIndex, holdStartedAt, heldMillis,
                reason, createdAt, updatedAt, haltedBy, List.copyOf(include), List.copyOf(exclude));
    }

    /** The part readers need. */
    public MigrationStatus status() {
        return new MigrationStatus(percent, state);
    }

    /** How long the current step has been held at {@code now}, counting only running time. */
    public Duration held(Instant now) {
        long running = holdStartedAt == null ? 0 : Math.max(0, Duration.between(holdStartedAt, now).toMillis());
        return Duration.ofMillis(heldMillis + running);
    }

    /** A copy with the given percent and state, other fields unchanged. */
    public MigrationRecord with(int newPercent, MigrationState newState) {
        return new MigrationRecord(id, key, newPercent, newState, revision, manual, stepIndex, holdStartedAt,
                heldMillis, reason, createdAt, updatedAt, haltedBy, operatorInclude, operatorExclude);
    }

    /** A copy with the given ramp fields. */
    public MigrationRecord withRamp(boolean newManual, int newStepIndex, Instant newHoldStartedAt, long newHeldMillis) {
        return new MigrationRecord(id, key, percent, state, revision, newManual, newStepIndex, newHoldStartedAt,
                newHeldMillis, reason, createdAt, updatedAt, haltedBy, operatorInclude, operatorExclude);
    }

    /** A copy stamped as changed by audit event {@code seq} at {@code time} for {@code why}. */
    public MigrationRecord stamped(long seq, Instant time, String why) {
        return new MigrationRecord(id, key, percent, state, seq, manual, stepIndex, holdStartedAt, heldMillis, why,
                createdAt, time, haltedBy, operatorInclude, operatorExclude);
    }

    /**
     * A copy that says who stopped it, after a change by {@code actor} that led from {@code before}
     * to this record: {@code actor} when the change halted or rolled back, the previous
     * {@link #haltedBy()} while it stays halted or rolled back, null once it runs (or completes).
     */
    public MigrationRecord haltedAfter(MigrationRecord before, String actor) {
        boolean stopped = state == MigrationState.HALTED || state == MigrationState.ROLLED_BACK;
        String by = !stopped ? null : before.state() == state ? before.haltedBy() : actor;
        return new MigrationRecord(id, key, percent, state, revision, manual, stepIndex, holdStartedAt, heldMillis,
                reason, createdAt, updatedAt, by, operatorInclude, operatorExclude);
    }

    /** The hold clock stopped at {@code now}: time held so far is kept in {@link #heldMillis()}. */
    public MigrationRecord holdStopped(Instant now) {
        if (holdStartedAt == null) {
            return this;
        }
        return withRamp(manual, stepIndex, null, held(now).toMillis());
    }

    /** The hold clock running from {@code now} (if the migration ramps and is on the ramp). */
    public MigrationRecord holdRunning(Instant now) {
        if (stepIndex < 0 || manual || holdStartedAt != null) {
            return this;
        }
        return withRamp(manual, stepIndex, now, heldMillis);
    }
}

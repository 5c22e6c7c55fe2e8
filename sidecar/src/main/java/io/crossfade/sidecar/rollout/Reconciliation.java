package io.crossfade.sidecar.rollout;

import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.Percent;
import io.crossfade.config.SettingsSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a newly loaded spec does to the migration state, as a pure function beside
 * {@link Transitions}: which migrations are created, kept (and refitted to edited steps), retired
 * into a tombstone, or restored from one. No I/O, no clock of its own.
 *
 * <p>Idempotent: reconciling the result with the same spec again changes nothing (no record, no
 * tombstone, no event), so every sidecar of a fleet can apply the same files.
 *
 * <p>A retired migration is kept as a {@link Tombstone} for {@code retainRetired}: a file that
 * disappears for a while (a bad deploy, a half-copied directory that an operator accepted) and comes
 * back with the same migration resumes where operators left it — same percent, state and revision —
 * instead of starting over at its initial percent and flipping units from new back to old. (The
 * controller passes no tombstones yet: persisting them belongs in the migration store.)
 */
public final class Reconciliation {

    private Reconciliation() {
    }

    /**
     * The state after reconciling, and the audit events that say why (with sequence number 0: the
     * audit log numbers them).
     *
     * @param records live records by setting key
     * @param tombstones retired records by migration id
     * @param events what changed, in the order to append
     * @param pruned true when tombstones past their retention were dropped (no event says so, but
     *     the state must still be saved)
     */
    public record Result(Map<String, MigrationRecord> records, Map<String, Tombstone> tombstones,
            List<AuditEvent> events, boolean pruned) {

        public Result {
            records = Collections.unmodifiableMap(new TreeMap<>(records));
            tombstones = Collections.unmodifiableMap(new TreeMap<>(tombstones));
            events = List.copyOf(events);
        }

        /** True when anything must be persisted. */
        public boolean changed() {
            return !events.isEmpty() || pruned;
        }
    }

    /**
     * Reconciles {@code records} and {@code tombstones} with {@code spec} at {@code now}.
     *
     * @param retainRetired how long a retired migration's state is kept for its return; zero keeps none
     */
    public static Result reconcile(Map<String, MigrationRecord> records, Map<String, Tombstone> tombstones,
            SettingsSpec spec, Instant now, Duration retainRetired) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(now, "now");
        Map<String, MigrationRecord> next = new TreeMap<>(records);
        Map<String, Tombstone> graves = new TreeMap<>(tombstones);
        List<AuditEvent> events = new ArrayList<>();

        for (MigrationRecord old : records.values()) {
            MigrationSpec declared = spec.migrations().get(old.key());
            if (declared == null || !declared.id().equals(old.id())) {
                next.remove(old.key());
                String why = declared == null ? "no longer declared in the settings files"
                        : "replaced by migration " + declared.id() + " (from, to or salt changed in " + declared.source() + ")";
                if (!retainRetired.isZero() && !retainRetired.isNegative()) {
                    graves.put(old.id(), new Tombstone(old.holdStopped(now), now));
                    why += "; its state is kept for " + retainRetired + " in case it comes back";
                }
                events.add(new AuditEvent(0, now, RolloutController.RELOAD, old.key(), old.id(), AuditEvent.RETIRED,
                        RolloutController.summary(old), null, why, null));
            }
        }

        for (MigrationSpec declared : spec.migrations().values()) {
            MigrationRecord kept = next.get(declared.key());
            if (kept == null) {
                Tombstone grave = graves.remove(declared.id());
                if (grave != null) {
                    MigrationRecord restored = Transitions.reconciled(grave.record(), declared, now);
                    if (restored.state() == MigrationState.RUNNING) {
                        restored = restored.holdRunning(now); // the ramp did not advance while it was gone
                    }
                    next.put(declared.key(), restored);
                    events.add(new AuditEvent(0, now, RolloutController.RELOAD, declared.key(), declared.id(),
                            AuditEvent.RESTORED, null, RolloutController.summary(restored),
                            "declared again in " + declared.source() + "; resumes at "
                            + Percent.format(restored.percent()) + " %, " + restored.state().wireName()
                            + ", revision " + restored.revision() + " as left when it was retired at "
                            + grave.retiredAt(), restored));
                    continue;
                }
                MigrationRecord created = Transitions.created(declared, now);
                next.put(declared.key(), created);
                events.add(new AuditEvent(0, now, RolloutController.RELOAD, declared.key(), declared.id(),
                        AuditEvent.CREATED, null, RolloutController.summary(created), "declared in "
                        + declared.source() + " at " + Percent.format(created.percent()) + " %", created));
            } else {
                MigrationRecord fitted = Transitions.reconciled(kept, declared, now);
                if (!fitted.equals(kept)) {
                    next.put(declared.key(), fitted);
                    events.add(new AuditEvent(0, now, RolloutController.RELOAD, declared.key(), declared.id(),
                            AuditEvent.STEPS_CHANGED, RolloutController.summary(kept),
                            RolloutController.summary(fitted), "ramp steps changed in " + declared.source(), fitted));
                }
            }
        }

        boolean pruned = graves.values().removeIf(t -> !t.retiredAt().plus(retainRetired).isAfter(now));
        return new Result(next, graves, events, pruned);
    }
}

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
 * instead of starting over at its initial percent and flipping units from new back to old. Once its
 * retention has passed, a tombstone is forgotten with a {@code forgotten} event, so the audit log
 * tells the whole life of a migration's state and a store can rebuild its tombstones from it.
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
     * @param events what changed, in the order to append (tombstones forgotten first)
     */
    public record Result(Map<String, MigrationRecord> records, Map<String, Tombstone> tombstones,
            List<AuditEvent> events) {

        public Result {
            records = Collections.unmodifiableMap(new TreeMap<>(records));
            tombstones = Collections.unmodifiableMap(new TreeMap<>(tombstones));
            events = List.copyOf(events);
        }

        /** True when anything must be persisted. */
        public boolean changed() {
            return !events.isEmpty();
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

        // Expired tombstones go first: a migration declared again after its retention starts over.
        for (var it = graves.values().iterator(); it.hasNext(); ) {
            Tombstone grave = it.next();
            if (grave.expired(now, retainRetired)) {
                it.remove();
                MigrationRecord r = grave.record();
                events.add(new AuditEvent(0, now, RolloutController.RELOAD, r.key(), r.id(), AuditEvent.FORGOTTEN,
                        RolloutController.summary(r), null, "retired at " + grave.retiredAt() + "; its state was kept for "
                        + Tombstone.format(retainRetired) + " and is forgotten now: declared again, it starts over", null));
            }
        }

        for (MigrationRecord old : records.values()) {
            MigrationSpec declared = spec.migrations().get(old.key());
            if (declared == null || !declared.id().equals(old.id())) {
                next.remove(old.key());
                String why = declared == null ? "no longer declared in the settings files"
                        : "replaced by migration " + declared.id() + " (from, to or salt changed in " + declared.source() + ")";
                if (!retainRetired.isZero() && !retainRetired.isNegative()) {
                    graves.put(old.id(), Tombstone.of(old, now));
                    why += "; its state is kept for " + Tombstone.format(retainRetired) + " in case it comes back";
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

        return new Result(next, graves, events);
    }
}

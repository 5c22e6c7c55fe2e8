package io.crossfade.sidecar.guard;

import io.crossfade.config.ActiveMigration;
import io.crossfade.config.MigrationState;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.sidecar.rollout.PublishedState;
import io.crossfade.sidecar.rollout.MigrationRecord;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The guard's {@link MigrationWatch}es, one per served migration: created on first sight (from any
 * thread, e.g. the first outcome of a migration), replaced when a key's migration id changes, and
 * dropped when the migration is retired.
 *
 * <p>A watch created for a migration whose record says the guard halted or rolled it back
 * ({@link MigrationRecord#haltedBy()}) starts as {@link GuardStatus#TRIPPED}: after a restart the
 * halt is still the guard's decision. Its evidence starts from 1, in memory.
 *
 * <p>Thread-safety: a concurrent map; {@link #watchFor} is atomic per key.
 */
final class Watches {

    private final ConcurrentHashMap<String, MigrationWatch> byKey = new ConcurrentHashMap<>();
    private final LongSupplier millis;
    private final OutcomePool pool;
    private volatile java.util.function.BiConsumer<MigrationWatch, MigrationRecord> onCreate = (w, r) -> { };

    Watches(LongSupplier millis) {
        this(millis, OutcomePool.LOCAL);
    }

    Watches(LongSupplier millis, OutcomePool pool) {
        this.millis = millis;
        this.pool = pool;
    }

    /** The watch of {@code key}, or null. */
    MigrationWatch get(String key) {
        return byKey.get(key);
    }

    /** Every watch. */
    Collection<MigrationWatch> all() {
        return byKey.values();
    }

    /** The watch of {@code migration}, created when it is new (or replaces one of an older migration id). */
    MigrationWatch watchFor(ActiveMigration migration, PublishedState state) {
        String key = migration.spec().key();
        MigrationWatch watch = byKey.get(key);
        if (watch != null && watch.migrationId.equals(migration.id())) {
            return watch;
        }
        return byKey.compute(key, (k, old) -> {
            if (old != null && old.migrationId.equals(migration.id())) {
                return old;
            }
            MigrationRecord record = state.records().get(key);
            int stepIndex = record == null ? -1 : record.stepIndex();
            MigrationState s = record == null ? migration.status().state() : record.state();
            MigrationWatch fresh = new MigrationWatch(key, migration.id(), migration.spec().guard(), stepIndex, s, millis,
                    pool);
            if (record != null && Guard.ACTOR.equals(record.haltedBy())) {
                fresh.status = GuardStatusMachine.next(fresh.status, GuardStatusMachine.Event.STOPPED_BY_GUARD);
                fresh.lastTripAt = record.updatedAt();
                fresh.lastTripAction = s == MigrationState.ROLLED_BACK ? "rollback" : "halt";
                fresh.lastTripReason = record.reason();
            }
            onCreate.accept(fresh, record);
            return fresh;
        });
    }

    /**
     * Runs {@code action} on every watch as it is created, before anyone else sees it (with the
     * migration's record, or null): where the guard resumes stored evidence.
     */
    void onCreate(java.util.function.BiConsumer<MigrationWatch, MigrationRecord> action) {
        this.onCreate = action;
    }

    /** Forgets the watch of a retired migration. */
    void retire(String key) {
        byKey.remove(key);
    }

    /** Drops watches whose migration is gone from {@code snapshot} or has another id there. */
    void retainServed(SettingsSnapshot snapshot) {
        byKey.entrySet().removeIf(e -> {
            ActiveMigration m = snapshot.migration(e.getKey());
            return m == null || !m.id().equals(e.getValue().migrationId);
        });
    }
}

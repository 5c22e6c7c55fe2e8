package io.crossfade.sidecar.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.DaemonThreads;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.Percent;
import io.crossfade.config.Setting;
import io.crossfade.config.SettingsProblem;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.SettingsSpec;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.ChangeRefusedException.Reason;
import io.crossfade.sidecar.state.AuditEvent;
import io.crossfade.sidecar.state.AuditLog;
import io.crossfade.sidecar.state.MigrationRecord;
import io.crossfade.sidecar.state.PersistedState;
import io.crossfade.sidecar.state.StateStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that changes what the sidecar serves. Reloads, operator changes, guard decisions
 * and ramp steps all come here and run one at a time on a single thread: validate, append to the
 * audit log (fsync), write the state file (atomic, fsync), then publish a new immutable
 * {@link PublishedState} and tell listeners. A caller's future completes only after the change is
 * durable and visible to the next read.
 *
 * <p>Readers never wait on this class: {@link #current()} is a volatile read.
 */
public final class RolloutController implements Published, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RolloutController.class);

    /** Actor name of changes made by a settings reload. */
    public static final String RELOAD = "reload";

    private final StateStore store;
    private final AuditLog audit;
    private final Clock clock;
    private final ExecutorService thread;
    private final List<SnapshotListener> snapshotListeners = new CopyOnWriteArrayList<>();
    private final List<MigrationChangeListener> migrationListeners = new CopyOnWriteArrayList<>();

    // Owned by the controller thread (and by start(), before any other access).
    private SettingsSpec spec;
    private Map<String, MigrationRecord> records;
    private long lastSeqInState;

    // Audit events made durable but not yet told to migration listeners (they hear after the publish).
    private final List<AuditEvent> pendingEvents = new ArrayList<>();

    private volatile PublishedState current;
    private volatile long version;

    /**
     * @param store the durable state file
     * @param audit the audit log (also the write-ahead log)
     * @param clock time source for records and events
     */
    public RolloutController(StateStore store, AuditLog audit, Clock clock) {
        this.store = Objects.requireNonNull(store);
        this.audit = Objects.requireNonNull(audit);
        this.clock = Objects.requireNonNull(clock);
        this.thread = Executors.newSingleThreadExecutor(DaemonThreads.factory("crossfade-rollout"));
    }

    /**
     * Recovers the durable state (state file plus any audit events written after it), reconciles it
     * with {@code initialSpec} and publishes the first snapshot. Call once, before serving.
     *
     * @throws IOException when the state cannot be read or the reconciled state cannot be saved
     */
    public void start(SettingsSpec initialSpec, SourceStatus source) throws IOException {
        PersistedState persisted = store.load();
        Map<String, MigrationRecord> recovered = new TreeMap<>(persisted.migrations());
        long lastSeq = persisted.lastSeq();
        for (AuditEvent e : audit.after(persisted.lastSeq())) {
            // A crash after the audit append but before the state write: the event is the truth.
            if (AuditEvent.RETIRED.equals(e.action()) || e.record() == null) {
                recovered.remove(e.key());
            } else {
                recovered.put(e.key(), e.record());
            }
            lastSeq = e.seq();
        }
        if (lastSeq != persisted.lastSeq()) {
            LOG.info("recovered {} change(s) from the audit log that the state file did not have yet",
                    lastSeq - persisted.lastSeq());
        }
        // Numbers the state file refers to (revisions) must never be handed out again.
        audit.continueAfter(persisted.lastSeq());
        this.records = recovered;
        // The first save below writes the replayed records, so it covers the replayed events too.
        this.lastSeqInState = lastSeq;
        this.version = Math.max(clock.millis(), persisted.snapshotVersion() + 1);
        this.spec = SettingsSpec.EMPTY;
        reconcileAndPublish(initialSpec, source, true);
    }

    /** What is being served now. Never null after {@link #start}; a volatile read, safe on event loops. */
    public PublishedState current() {
        return current;
    }

    /** Registers a listener for new snapshots. */
    public void onSnapshot(SnapshotListener listener) {
        snapshotListeners.add(listener);
    }

    /** Registers a listener for durable migration changes (the audit events). */
    public void onMigrationChange(MigrationChangeListener listener) {
        migrationListeners.add(listener);
    }

    /** The audit log, for reading. */
    public AuditLog audit() {
        return audit;
    }

    /**
     * Applies a newly loaded, valid spec: migrations that are new are created at their starting
     * percent, ones that disappeared (or whose identity changed) are retired, and kept ones keep their
     * state. Completes with the published state once durable.
     */
    public CompletableFuture<PublishedState> applySpec(SettingsSpec newSpec, SourceStatus source) {
        return submit(() -> reconcileAndPublish(newSpec, source, false));
    }

    /** Records a failed reload: the snapshot keeps serving, {@code /ready} shows the problems. */
    public CompletableFuture<PublishedState> reloadFailed(List<SettingsProblem> problems) {
        return submit(() -> {
            PublishedState now = current;
            PublishedState next = new PublishedState(now.snapshot(), now.records(),
                    now.source().failed(problems, clock.instant()));
            current = next;
            return next;
        });
    }

    /**
     * Changes one migration.
     *
     * @param key the setting key of the migration
     * @param change what to do
     * @param actor who asks (token name, {@code guard}, {@code ramp})
     * @param reason why, may be null
     * @param expectedRevision the caller's {@code If-Match} revision, or null
     * @return completes with the new record once durable and published, or exceptionally with a
     *     {@link ChangeRefusedException}
     */
    public CompletableFuture<MigrationRecord> change(String key, Change change, String actor, String reason,
            Long expectedRevision) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(change, "change");
        Objects.requireNonNull(actor, "actor");
        return submit(() -> {
            MigrationSpec migration = spec.migrations().get(key);
            MigrationRecord before = records.get(key);
            if (migration == null || before == null) {
                throw new ChangeRefusedException(Reason.NOT_FOUND,
                        spec.settings().containsKey(key) ? "setting " + key + " has no migration"
                                : "no setting named " + key);
            }
            if (expectedRevision != null && expectedRevision != before.revision()) {
                throw new ChangeRefusedException(Reason.PRECONDITION_FAILED, "migration " + key + " is at revision "
                        + before.revision() + ", not " + expectedRevision + "; someone changed it since you looked");
            }
            Instant now = clock.instant();
            MigrationRecord after = Transitions.apply(before, migration, change, now);
            AuditEvent event = new AuditEvent(0, now, actor, key, before.id(), change.action(), summary(before),
                    summary(after), reason, after);
            persist(List.of(event), withRecord(records, key, after));
            publish(spec, current.source());
            return records.get(key);
        });
    }

    private PublishedState reconcileAndPublish(SettingsSpec newSpec, SourceStatus source, boolean firstLoad)
            throws IOException {
        Instant now = clock.instant();
        Map<String, MigrationRecord> next = new TreeMap<>(records);
        List<AuditEvent> events = new ArrayList<>();
        for (MigrationRecord old : records.values()) {
            MigrationSpec declared = newSpec.migrations().get(old.key());
            if (declared == null || !declared.id().equals(old.id())) {
                next.remove(old.key());
                String why = declared == null ? "no longer declared in the settings files"
                        : "replaced by migration " + declared.id() + " (from, to or salt changed in " + declared.source() + ")";
                events.add(new AuditEvent(0, now, RELOAD, old.key(), old.id(), AuditEvent.RETIRED, summary(old), null,
                        why, null));
            }
        }
        for (MigrationSpec declared : newSpec.migrations().values()) {
            MigrationRecord kept = next.get(declared.key());
            if (kept == null) {
                MigrationRecord created = Transitions.created(declared, now);
                next.put(declared.key(), created);
                events.add(new AuditEvent(0, now, RELOAD, declared.key(), declared.id(), AuditEvent.CREATED, null,
                        summary(created), "declared in " + declared.source() + " at "
                        + Percent.format(created.percent()) + " %", created));
            } else {
                MigrationRecord fitted = Transitions.reconciled(kept, declared, now);
                if (!fitted.equals(kept)) {
                    next.put(declared.key(), fitted);
                    events.add(new AuditEvent(0, now, RELOAD, declared.key(), declared.id(), "steps_changed",
                            summary(kept), summary(fitted), "ramp steps changed in " + declared.source(), fitted));
                }
            }
        }
        if (!events.isEmpty() || firstLoad) {
            try {
                persist(events, next);
            } catch (IOException e) {
                throw new IOException("the settings are valid but the migration state could not be saved: "
                        + e.getMessage(), e);
            }
        }
        return publish(newSpec, source);
    }

    /**
     * Appends events to the audit log (one fsync), then writes the state file; only then swaps the
     * in-memory records. When the state file cannot be written the events are taken back out of the
     * log, so a refused change leaves no trace there; the caller sees the IOException.
     */
    private void persist(List<AuditEvent> events, Map<String, MigrationRecord> next) throws IOException {
        List<AuditEvent> written = audit.appendAll(events);
        Map<String, MigrationRecord> stamped = new TreeMap<>(next);
        for (AuditEvent e : written) {
            if (e.record() != null) {
                stamped.put(e.key(), e.record());
            }
        }
        long lastSeq = written.isEmpty() ? lastSeqInState : written.get(written.size() - 1).seq();
        try {
            store.save(new PersistedState(PersistedState.FORMAT, lastSeq, version + 1, stamped));
        } catch (IOException e) {
            try {
                audit.discardLastAppend();
            } catch (IOException undo) {
                LOG.error("the audit log keeps {} event(s) of a change that was refused ({}); they will be"
                        + " replayed at the next start", written.size(), undo.getMessage());
            }
            throw e;
        }
        lastSeqInState = lastSeq;
        records = stamped;
        for (AuditEvent e : written) {
            LOG.info("{} {} by {}: {} -> {} ({})", e.action(), e.key(), e.actor(), e.from(), e.to(), e.reason());
        }
        pendingEvents.addAll(written);
    }

    private PublishedState publish(SettingsSpec newSpec, SourceStatus source) {
        Map<String, ActiveMigration> migrations = new HashMap<>();
        for (MigrationSpec m : newSpec.migrations().values()) {
            MigrationRecord r = records.get(m.key());
            migrations.put(m.key(), new ActiveMigration(m.id(), m, r.status()));
        }
        PublishedState previous = current;
        long nextVersion = version + 1;
        SettingsSnapshot snapshot = new SettingsSnapshot(nextVersion, newSpec, migrations);
        PublishedState next = new PublishedState(snapshot, records, source);
        spec = newSpec;
        version = nextVersion;
        current = next;
        Set<String> changed = changedKeys(previous, next);
        for (SnapshotListener l : snapshotListeners) {
            try {
                l.published(previous, next, changed);
            } catch (RuntimeException e) {
                LOG.error("snapshot listener failed", e);
            }
        }
        List<AuditEvent> events = new ArrayList<>(pendingEvents);
        pendingEvents.clear();
        for (AuditEvent e : events) {
            for (MigrationChangeListener l : migrationListeners) {
                try {
                    l.changed(e);
                } catch (RuntimeException ex) {
                    LOG.error("migration listener failed", ex);
                }
            }
        }
        return next;
    }

    private static Set<String> changedKeys(PublishedState previous, PublishedState next) {
        Set<String> changed = new HashSet<>();
        SettingsSnapshot after = next.snapshot();
        if (previous == null) {
            changed.addAll(after.spec().settings().keySet());
            return changed;
        }
        SettingsSnapshot before = previous.snapshot();
        Set<String> all = new HashSet<>(before.spec().settings().keySet());
        all.addAll(after.spec().settings().keySet());
        for (String key : all) {
            Setting a = before.spec().settings().get(key);
            Setting b = after.spec().settings().get(key);
            if (a == null || b == null || !a.value().equals(b.value())
                    || !Objects.equals(before.migration(key), after.migration(key))) {
                changed.add(key);
            }
        }
        return changed;
    }

    private static Map<String, MigrationRecord> withRecord(Map<String, MigrationRecord> records, String key,
            MigrationRecord r) {
        Map<String, MigrationRecord> copy = new TreeMap<>(records);
        copy.put(key, r);
        return copy;
    }

    /** The {@code from}/{@code to} of an audit event: percent and state. */
    static JsonNode summary(MigrationRecord r) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("percent", Percent.toDecimal(r.percent()));
        node.put("state", r.state().wireName());
        return node;
    }

    private interface Work<T> {
        T run() throws Exception;
    }

    private <T> CompletableFuture<T> submit(Work<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    result.complete(work.run());
                } catch (ChangeRefusedException e) {
                    result.completeExceptionally(e);
                } catch (IOException e) {
                    LOG.error("a change could not be made durable: {}", e.getMessage());
                    result.completeExceptionally(new ChangeRefusedException(Reason.UNAVAILABLE,
                            "the change could not be saved to the state directory: " + e.getMessage(), e));
                } catch (Throwable t) {
                    LOG.error("unexpected failure while applying a change", t);
                    result.completeExceptionally(t);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            result.completeExceptionally(new ChangeRefusedException(Reason.UNAVAILABLE, "the sidecar is shutting down"));
        }
        return result;
    }

    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            audit.close();
        } catch (IOException e) {
            LOG.warn("closing the audit log: {}", e.getMessage());
        }
    }
}

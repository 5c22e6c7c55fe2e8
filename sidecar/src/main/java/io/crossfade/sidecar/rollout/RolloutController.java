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
import java.io.IOException;
import io.crossfade.sidecar.state.DurableFiles;
import java.time.Clock;
import java.time.Duration;
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
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that changes what the sidecar serves. Reloads, operator changes, guard decisions
 * and ramp steps all come here and run one at a time on a single thread: validate, commit to the
 * {@link MigrationStore} (durable when it returns), then publish a new immutable
 * {@link PublishedState} and tell listeners. A caller's future completes only after the change is
 * durable and visible to the next read. Changes that other sidecars committed to a shared store
 * arrive through {@link #publishCommitted} and are published without being committed again.
 *
 * <p>Readers never wait on this class: {@link #current()} is a volatile read.
 */
public final class RolloutController implements Published, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RolloutController.class);

    /** Actor name of changes made by a settings reload. */
    public static final String RELOAD = "reload";

    /**
     * Actor name of the guard's decisions: its halts and rollbacks take effect here even when the
     * store cannot take them yet (see {@code pending}).
     */
    public static final String GUARD_ACTOR = "guard";

    /** How often a change is decided again after losing a compare-and-swap to another sidecar. */
    private static final int MAX_ATTEMPTS = 8;

    /** Default of {@code --retain-retired}. */
    public static final Duration DEFAULT_RETAIN_RETIRED = Duration.ofDays(7);

    /** How often a state directory that refused a write is tried again. */
    static final Duration RETRY_WRITES = Duration.ofSeconds(2);

    private final MigrationStore store;
    private final Clock clock;
    private final Duration retainRetired;
    private final java.util.concurrent.ScheduledExecutorService thread;
    private final List<SnapshotListener> snapshotListeners = new CopyOnWriteArrayList<>();
    private final List<MigrationChangeListener> migrationListeners = new CopyOnWriteArrayList<>();

    // Owned by the controller thread (and by start(), before any other access).
    private SettingsSpec spec;
    /** Every record the store holds, by migration id. */
    private Map<String, MigrationRecord> stored = new TreeMap<>();
    /** The last revision of the store that {@link #stored} includes. */
    private long revision;
    /** Retired migrations kept for their return, by migration id (a store of this sidecar's own only). */
    private Map<String, Tombstone> tombstones = new TreeMap<>();
    /**
     * Records reconciled but not saved (the state directory refused the write), by migration id:
     * served rather than the files' starting points, so that a restored migration keeps its percent.
     */
    private Map<String, MigrationRecord> unsaved = Map.of();
    // Volatile for close(), which cancels them from another thread: a delayed task would hold it up.
    private volatile java.util.concurrent.ScheduledFuture<?> nextExpiry;
    private volatile java.util.concurrent.ScheduledFuture<?> nextWriteRetry;

    /**
     * Guard decisions in effect here but not yet in the store, because a shared store could not be
     * reached or the state directory refused the write (safety first: the guard's halt or rollback is
     * served at once), by migration id; written when the store takes writes again. They are not
     * durable until then: a sidecar killed meanwhile starts from the saved record, and its guard
     * judges again.
     */
    private final Map<String, PendingWrite> pending = new TreeMap<>();

    private record PendingWrite(String key, Change change, String actor, String reason, MigrationRecord local) {
    }

    // Audit events made durable but not yet told to migration listeners (they hear after the publish).
    private final List<AuditEvent> pendingEvents = new ArrayList<>();

    private volatile PublishedState current;
    private volatile List<String> pendingKeys = List.of();
    private volatile long version;
    private volatile StateDirectoryStatus stateDirectory;

    /**
     * @param store where migration state and the audit trail are kept
     * @param clock time source for records and events
     */
    public RolloutController(MigrationStore store, Clock clock) {
        this(store, clock, DEFAULT_RETAIN_RETIRED);
    }

    /**
     * @param retainRetired how long a retired migration's state is kept for its return
     *     ({@code --retain-retired}); zero keeps none. A shared store retires nothing, so it keeps every
     *     identity's state regardless.
     */
    public RolloutController(MigrationStore store, Clock clock, Duration retainRetired) {
        this.store = Objects.requireNonNull(store);
        this.clock = Objects.requireNonNull(clock);
        this.retainRetired = Objects.requireNonNull(retainRetired, "retainRetired");
        if (retainRetired.isNegative()) {
            throw new IllegalArgumentException("--retain-retired must not be negative, found " + retainRetired);
        }
        this.thread = DaemonThreads.scheduler("crossfade-rollout");
        this.stateDirectory = new StateDirectoryStatus(true, null, clock.instant());
    }

    /**
     * Loads the committed state, reconciles it with {@code initialSpec} and publishes the first
     * snapshot. Call once, before serving.
     *
     * @throws IOException when the state cannot be read or the reconciled state cannot be saved
     */
    public void start(SettingsSpec initialSpec, SourceStatus source) throws IOException {
        store.follow(new MigrationStore.CommittedElsewhere() {
            @Override
            public void committed(List<AuditEvent> events) {
                publishCommitted(events);
            }

            @Override
            public void reloaded(StoredState state) {
                publishReloaded(state);
            }
        });
        // On the controller's thread, so that changes the store delivers meanwhile queue behind it.
        CompletableFuture<PublishedState> started = submitRaw(() -> {
            StoredState loaded = store.load();
            adopt(loaded);
            this.version = Math.max(clock.millis(), loaded.snapshotVersion() + 1);
            this.spec = SettingsSpec.EMPTY;
            return reconcileAndPublish(initialSpec, source, true);
        });
        try {
            started.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading the migration state", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(cause.getMessage(), cause);
        }
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

    /** How a shared store is doing; empty for a sidecar's own state directory. */
    @Override
    public java.util.Optional<StoreStatus> storeStatus() {
        List<String> keys = pendingKeys;
        return store.status().map(s -> new StoreStatus(s.type(), s.fleet(), s.endpoint(), s.connected(), s.since(),
                s.revision(), s.servingFrom(), keys, s.reset()));
    }

    /** Whether the state directory takes writes; empty for a shared store (its {@link #storeStatus()} says). */
    @Override
    public java.util.Optional<StateDirectoryStatus> stateDirectoryStatus() {
        if (store.shared()) {
            return java.util.Optional.empty();
        }
        StateDirectoryStatus status = stateDirectory;
        return java.util.Optional.of(new StateDirectoryStatus(status.writable(), status.problem(), status.since(),
                pendingKeys));
    }

    /** The audit trail, for reading. */
    public AuditTrail audit() {
        return store;
    }

    /**
     * Applies a newly loaded, valid spec: migrations that are new are created at their starting
     * percent, ones that disappeared (or whose identity changed) are retired, and kept ones keep their
     * state. Completes with the published state once durable.
     */
    public CompletableFuture<PublishedState> applySpec(SettingsSpec newSpec, SourceStatus source) {
        return submit(() -> reconcileAndPublish(newSpec, source, false));
    }

    /**
     * Publishes changes that another writer already committed to the store (another sidecar of the
     * fleet): they are applied in order and served, and listeners hear them, but nothing is committed
     * again. Events at or below the revision already served (this sidecar's own commits, echoed back
     * by the store) are skipped.
     */
    public CompletableFuture<PublishedState> publishCommitted(List<AuditEvent> events) {
        List<AuditEvent> copy = List.copyOf(events);
        return submit(() -> {
            if (current == null) {
                return null; // not started: start() reads the store after this was committed
            }
            boolean served = false;
            for (AuditEvent e : copy) {
                if (e.seq() <= revision) {
                    continue;
                }
                if (e.seq() != revision + 1) {
                    // Something between was missed: read the whole state rather than guess.
                    catchUp();
                    served = true;
                    continue;
                }
                apply(e);
                revision = e.seq();
                if (declares(spec, e)) {
                    pendingEvents.add(e);
                    served = true;
                }
            }
            return served ? publish(spec, current.source()) : current;
        });
    }

    /**
     * Takes the store's whole state as it is (the store lost track of single changes, e.g. after a
     * compaction), then reconciles it with the served spec, which may create migrations it lacks.
     */
    public CompletableFuture<PublishedState> publishReloaded(StoredState state) {
        return submit(() -> {
            if (current == null) {
                return null;
            }
            adopt(state);
            return reconcileAndPublish(spec, current.source(), false);
        });
    }

    /** Records a failed reload: the snapshot keeps serving, {@code /ready} shows the problems. */
    public CompletableFuture<PublishedState> reloadFailed(List<SettingsProblem> problems) {
        return submit(() -> {
            PublishedState now = current;
            PublishedState next = new PublishedState(now.snapshot(), now.records(),
                    now.source().failed(problems, clock.instant()), now.startingPercentEdits());
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
            for (int attempt = 1; ; attempt++) {
                MigrationSpec migration = spec.migrations().get(key);
                if (migration != null && pending.containsKey(migration.id())) {
                    // A guard stop waits to be saved: it goes first, so this change applies to it.
                    writePending();
                }
                MigrationRecord before = migration == null ? null : stored.get(migration.id());
                if (before == null && migration != null && unsaved.containsKey(migration.id())) {
                    // Served since a start on a state directory that refused writes, never saved.
                    before = unsaved.get(migration.id());
                    if (!guardStop(change, actor)) {
                        throw new ChangeRefusedException(Reason.UNAVAILABLE, "migration " + key + " is not saved"
                                + " yet: " + stateDirectory.problem() + "; it is saved, and takes changes, once the"
                                + " state directory takes writes again");
                    }
                    return stopBeforeTheStore(migration, before, change, actor, reason,
                            new IOException(stateDirectory.problem()));
                }
                if (migration == null || before == null) {
                    throw new ChangeRefusedException(Reason.NOT_FOUND,
                            spec.settings().containsKey(key) ? "setting " + key + " has no migration"
                                    : "no setting named " + key);
                }
                if (expectedRevision != null && expectedRevision != before.revision()) {
                    if (store.shared() && attempt == 1) {
                        // The caller may have looked at a sidecar that is ahead of this one.
                        catchUp();
                        continue;
                    }
                    throw new ChangeRefusedException(Reason.PRECONDITION_FAILED, "migration " + key
                            + " is at revision " + before.revision() + ", not " + expectedRevision
                            + "; someone changed it since you looked");
                }
                Instant now = clock.instant();
                MigrationRecord after = Transitions.apply(before, migration, change, now).haltedAfter(before, actor);
                AuditEvent event = new AuditEvent(0, now, actor, key, before.id(), change.action(), summary(before),
                        summary(after), reason, after);
                try {
                    commit(List.of(event));
                } catch (IOException unreachable) {
                    if (!store.shared()) {
                        cannotWrite(unreachable);
                    }
                    if (!guardStop(change, actor)) {
                        throw unreachable;
                    }
                    return stopBeforeTheStore(migration, before, change, actor, reason, unreachable);
                } catch (StaleStateException stale) {
                    if (attempt >= MAX_ATTEMPTS) {
                        throw new ChangeRefusedException(Reason.UNAVAILABLE, "migration " + key
                                + " kept changing under this change (" + MAX_ATTEMPTS + " tries); try again");
                    }
                    catchUp();
                    continue;
                }
                publish(spec, current.source());
                return stored.get(migration.id());
            }
        });
    }

    private PublishedState reconcileAndPublish(SettingsSpec newSpec, SourceStatus source, boolean firstLoad)
            throws IOException {
        for (int attempt = 1; ; attempt++) {
            Reconciliation.Result result = reconcile(newSpec, clock.instant());
            // While the state directory refuses writes, every reconciliation tries a write: its
            // success is how the sidecar notices the disk is back.
            if (!result.changed() && !firstLoad && stateDirectory.writable() && unsaved.isEmpty()) {
                return publish(newSpec, source);
            }
            try {
                commit(result.events(), store.shared() ? null : result.tombstones());
                unsaved = Map.of();
                if (!store.shared()) {
                    tombstones = new TreeMap<>(result.tombstones());
                    scheduleExpiry();
                    writable();
                }
                return publish(newSpec, source);
            } catch (StaleStateException stale) {
                // Another sidecar of the fleet committed first (typically: created the same migrations).
                if (attempt >= MAX_ATTEMPTS) {
                    throw new IOException("the settings are valid but the migration state kept changing under"
                            + " this reload (" + MAX_ATTEMPTS + " tries)");
                }
                catchUp();
            } catch (IOException e) {
                if (store.shared()) {
                    // Serving beats waiting: the files' starting points (or the state last seen) are
                    // served, and the store's return brings a reload that creates what is missing.
                    LOG.warn("the fleet store cannot be written ({}); serving the state last seen and the files'"
                            + " starting percents for migrations it does not have yet", e.getMessage());
                    return publish(newSpec, source);
                }
                // Reads are sacred: serve the settings with the state last saved (and the files'
                // starting points for migrations not saved yet), refuse operator changes until a
                // write succeeds, and try again by ourselves.
                cannotWrite(e);
                Map<String, MigrationRecord> notSaved = new TreeMap<>();
                for (MigrationRecord r : result.records().values()) {
                    if (!r.equals(stored.get(r.id()))) {
                        notSaved.put(r.id(), r);
                    }
                }
                unsaved = notSaved;
                LOG.error("the migration state cannot be saved ({}); serving the settings with the state last saved,"
                        + " operator changes are refused until the state directory takes writes again",
                        DurableFiles.cause(e));
                return publish(newSpec, source);
            }
        }
    }

    /** Notes that the state directory refused a write, and keeps trying until it takes one. */
    private void cannotWrite(IOException e) {
        String problem = DurableFiles.cause(e);
        StateDirectoryStatus was = stateDirectory;
        if (was.writable() || !problem.equals(was.problem())) {
            stateDirectory = new StateDirectoryStatus(false, problem, was.writable() ? clock.instant() : was.since());
        }
        if (nextWriteRetry == null || nextWriteRetry.isDone()) {
            nextWriteRetry = later(this::retryWrites, RETRY_WRITES.toMillis());
        }
    }

    private void writable() {
        if (!stateDirectory.writable()) {
            LOG.info("the state directory takes writes again (it refused them since {}: {})", stateDirectory.since(),
                    stateDirectory.problem());
            stateDirectory = new StateDirectoryStatus(true, null, clock.instant());
        }
    }

    /** On the controller's thread, while the state directory refuses writes: reconcile and save again. */
    private void retryWrites() {
        nextWriteRetry = null;
        // An operator's change may have found the directory writable first: the reconciled records
        // that were only served are saved here all the same.
        if (current == null || stateDirectory.writable() && unsaved.isEmpty()) {
            return;
        }
        try {
            reconcileAndPublish(spec, current.source(), false);
        } catch (IOException | RuntimeException e) {
            LOG.debug("the state directory still refuses writes: {}", e.getMessage());
        }
        if ((!stateDirectory.writable() || !unsaved.isEmpty()) && (nextWriteRetry == null || nextWriteRetry.isDone())) {
            nextWriteRetry = later(this::retryWrites, RETRY_WRITES.toMillis());
        }
    }

    /**
     * Reconciles again when the first tombstone's retention ends, so that it is forgotten (with its
     * event) on time even when no reload comes.
     */
    private void scheduleExpiry() {
        if (nextExpiry != null) {
            nextExpiry.cancel(false);
            nextExpiry = null;
        }
        Instant first = null;
        for (Tombstone t : tombstones.values()) {
            Instant at = t.expiresAt(retainRetired);
            if (first == null || at.isBefore(first)) {
                first = at;
            }
        }
        if (first == null) {
            return;
        }
        long delay = Math.max(0, Duration.between(clock.instant(), first).toMillis()) + 1;
        nextExpiry = later(() -> {
            if (current == null) {
                return;
            }
            try {
                reconcileAndPublish(spec, current.source(), false);
            } catch (IOException | RuntimeException e) {
                LOG.warn("forgetting expired retired migrations: {}", e.getMessage());
            }
        }, delay);
    }

    /** Runs {@code task} on the controller's thread in {@code millis}; null once it is shutting down. */
    private java.util.concurrent.ScheduledFuture<?> later(Runnable task, long millis) {
        try {
            return thread.schedule(task, millis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            return null;
        }
    }

    /**
     * The events that bring the stored records in line with {@code newSpec}: declared migrations the
     * store lacks are created, kept ones fitted to edited steps, and, in a store of this sidecar's
     * own, records no longer declared (or whose identity changed) retired.
     */
    private Reconciliation.Result reconcile(SettingsSpec newSpec, Instant now) {
        // A store of this sidecar's own holds only live records, one per key: all of them are judged,
        // so undeclared ones are retired. A shared store keeps every identity the fleet ever declared
        // and retires nothing: only the records of declared identities are judged.
        Map<String, MigrationRecord> byKey = new TreeMap<>();
        if (store.shared()) {
            for (MigrationSpec declared : newSpec.migrations().values()) {
                MigrationRecord r = stored.get(declared.id());
                if (r != null) {
                    byKey.put(declared.key(), r);
                }
            }
        } else {
            for (MigrationRecord r : stored.values()) {
                byKey.put(r.key(), r);
            }
        }
        return store.shared() ? Reconciliation.reconcile(byKey, Map.of(), newSpec, now, Duration.ZERO)
                : Reconciliation.reconcile(byKey, tombstones, newSpec, now, retainRetired);
    }

    /**
     * Commits events based on the revision this controller has seen; only then applies them to the
     * in-memory records. Listeners hear them at the next publish.
     */
    private void commit(List<AuditEvent> events) throws IOException, StaleStateException {
        commit(events, null);
    }

    /** As {@link #commit(List)}, keeping {@code keep} as the tombstones (null: as they are). */
    private void commit(List<AuditEvent> events, Map<String, Tombstone> keep) throws IOException, StaleStateException {
        List<AuditEvent> written = keep == null ? store.commit(revision, events, version + 1)
                : store.commit(revision, events, keep, version + 1);
        if (!store.shared()) {
            writable();
        }
        for (AuditEvent e : written) {
            apply(e);
            revision = e.seq();
            LOG.info("{} {} by {}: {} -> {} ({})", e.action(), e.key(), e.actor(), e.from(), e.to(),
                    e.reason() == null ? "no reason given" : e.reason());
            // A forgotten tombstone is no live migration's business (its key may serve another one now).
            if (!AuditEvent.FORGOTTEN.equals(e.action())) {
                pendingEvents.add(e);
            }
        }
    }

    /**
     * After a lost compare-and-swap: re-reads the store, queues the events this controller missed for
     * its listeners, and serves the fresh state.
     */
    private void catchUp() throws IOException {
        long before = revision;
        StoredState fresh = store.load();
        for (AuditEvent e : store.page(before, null, Integer.MAX_VALUE)) {
            if (e.seq() <= fresh.revision() && declares(spec, e)) {
                pendingEvents.add(e);
            }
        }
        adopt(fresh);
        if (current != null) {
            publish(spec, current.source());
        }
    }

    /**
     * A halt or rollback by the guard: the one change that takes effect before the store has it. An
     * operator's change is refused instead, so an operator is never told "done" for what is not saved.
     */
    private static boolean guardStop(Change change, String actor) {
        return GUARD_ACTOR.equals(actor) && (change instanceof Change.Halt || change instanceof Change.Rollback);
    }

    /** Serves the guard's stop now and keeps it pending until the store takes it. */
    private MigrationRecord stopBeforeTheStore(MigrationSpec migration, MigrationRecord before, Change change,
            String actor, String reason, IOException why) {
        MigrationRecord after = Transitions.apply(before, migration, change, clock.instant()).haltedAfter(before, actor);
        LOG.warn("{} {} takes effect here now and is written to the {} when it takes writes again ({})",
                change.action(), migration.key(), store.shared() ? "store" : "state directory", why.getMessage());
        pending.put(migration.id(), new PendingWrite(migration.key(), change, actor, reason, after));
        schedulePendingWrites();
        publish(spec, current.source());
        return after;
    }

    private void schedulePendingWrites() {
        thread.schedule(() -> {
            if (pending.isEmpty()) {
                return;
            }
            writePending();
            if (!pending.isEmpty()) {
                schedulePendingWrites();
            }
        }, 1, TimeUnit.SECONDS);
    }

    /**
     * Tries to write the guard decisions that took effect here while the store was away, each decided
     * again on the store's record: one that another sidecar already stopped needs no write.
     */
    private void writePending() {
        for (String id : List.copyOf(pending.keySet())) {
            PendingWrite p = pending.get(id);
            MigrationSpec migration = spec.migrations().get(p.key());
            MigrationRecord before = stored.get(id);
            if (before == null && unsaved.containsKey(id)) {
                continue; // its creation is saved first, by the state directory's own retry
            }
            if (migration == null || !migration.id().equals(id) || before == null) {
                pending.remove(id);
                continue;
            }
            MigrationRecord after;
            try {
                after = Transitions.apply(before, migration, p.change(), clock.instant());
            } catch (ChangeRefusedException alreadyStopped) {
                LOG.info("{} {}: the store already has it {} ({})", p.change().action(), p.key(),
                        before.state().wireName(), alreadyStopped.getMessage());
                pending.remove(id);
                publish(spec, current.source());
                continue;
            }
            AuditEvent event = new AuditEvent(0, clock.instant(), p.actor(), p.key(), id, p.change().action(),
                    summary(before), summary(after), p.reason(), after);
            try {
                commit(List.of(event));
                pending.remove(id);
                LOG.info("{} {} written to the store now that it takes writes", p.change().action(), p.key());
                publish(spec, current.source());
            } catch (StaleStateException stale) {
                try {
                    catchUp();
                } catch (IOException e) {
                    return;
                }
            } catch (IOException stillAway) {
                if (!store.shared()) {
                    cannotWrite(stillAway);
                }
                return;
            }
        }
    }

    private void adopt(StoredState state) {
        Map<String, MigrationRecord> byId = new TreeMap<>();
        for (MigrationRecord r : state.migrations()) {
            byId.put(r.id(), r);
        }
        stored = byId;
        revision = state.revision();
        Map<String, Tombstone> graves = new TreeMap<>();
        for (Tombstone t : state.tombstones()) {
            graves.put(t.record().id(), t);
        }
        tombstones = graves;
    }

    private void apply(AuditEvent e) {
        if (AuditEvent.FORGOTTEN.equals(e.action()) || AuditEvent.STORE_RESET.equals(e.action())) {
            return; // a store reset carries no record: the records were re-seeded as they were
        }
        if (e.record() == null) {
            stored.remove(e.migration());
        } else {
            stored.put(e.record().id(), e.record());
        }
    }

    private static boolean declares(SettingsSpec spec, AuditEvent e) {
        if (e.key() == null) {
            return false; // a fleet-wide event (a store reset)
        }
        MigrationSpec m = spec.migrations().get(e.key());
        return m != null && m.id().equals(e.migration());
    }

    private PublishedState publish(SettingsSpec newSpec, SourceStatus source) {
        Map<String, ActiveMigration> migrations = new HashMap<>();
        Map<String, MigrationRecord> records = new TreeMap<>();
        for (MigrationSpec m : newSpec.migrations().values()) {
            PendingWrite stop = pending.get(m.id());
            MigrationRecord r = stop != null ? stop.local() : stored.get(m.id());
            if (r == null) {
                r = unsaved.get(m.id());
            }
            if (r == null) {
                // Not in the store yet (a shared store that could not be written): serve the files'
                // starting point until the record is created.
                r = Transitions.created(m, clock.instant());
            }
            records.put(m.key(), r);
            migrations.put(m.key(), new ActiveMigration(m.id(), m, r.status(),
                    m.targeting().withOperator(Set.copyOf(r.operatorInclude()), Set.copyOf(r.operatorExclude()))));
        }
        PublishedState previous = current;
        long nextVersion = version + 1;
        SettingsSnapshot snapshot = new SettingsSnapshot(nextVersion, newSpec, migrations);
        PublishedState next = new PublishedState(snapshot, records, source,
                StartingPercent.unfollowedEdits(previous, migrations, pendingEvents));
        pendingKeys = pending.values().stream().map(PendingWrite::key).sorted().toList();
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

    /** The {@code from}/{@code to} of an audit event: percent and state. */
    static JsonNode summary(MigrationRecord r) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("percent", Percent.toDecimal(r.percent()));
        node.put("state", r.state().wireName());
        if (!r.operatorInclude().isEmpty()) {
            r.operatorInclude().forEach(node.putArray("operatorInclude")::add);
        }
        if (!r.operatorExclude().isEmpty()) {
            r.operatorExclude().forEach(node.putArray("operatorExclude")::add);
        }
        return node;
    }

    private interface Work<T> {
        T run() throws Exception;
    }

    /** Runs {@code work} on the controller's thread; its future fails with whatever it threw. */
    private <T> CompletableFuture<T> submitRaw(Work<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        thread.execute(() -> {
            try {
                result.complete(work.run());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
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
                            "the change could not be saved: " + DurableFiles.cause(e)
                            + (store.shared() ? "; nothing changed, try again when the store is back"
                                    : "; nothing changed"), e));
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
        for (java.util.concurrent.ScheduledFuture<?> later : new java.util.concurrent.ScheduledFuture<?>[] {nextExpiry,
                nextWriteRetry}) {
            if (later != null) {
                later.cancel(false);
            }
        }
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            store.close();
        } catch (IOException e) {
            LOG.warn("closing the migration store: {}", e.getMessage());
        }
    }
}

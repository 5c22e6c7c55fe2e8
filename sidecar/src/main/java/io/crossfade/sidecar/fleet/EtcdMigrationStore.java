package io.crossfade.sidecar.fleet;

import io.crossfade.config.DaemonThreads;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.fleet.EtcdGateway.Kv;
import io.crossfade.sidecar.fleet.EtcdGateway.WatchMessage;
import io.crossfade.sidecar.rollout.AuditEvent;
import io.crossfade.sidecar.rollout.MigrationRecord;
import io.crossfade.sidecar.rollout.MigrationStore;
import io.crossfade.sidecar.rollout.StaleStateException;
import io.crossfade.sidecar.rollout.StoreStatus;
import io.crossfade.sidecar.rollout.StoredState;
import io.crossfade.sidecar.state.DurableFiles;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The migration store of a fleet, on etcd: every sidecar with the same {@code --fleet} reads and
 * commits one state. The guarantee it owns: a commit is one etcd transaction that succeeds only if
 * nothing was committed since the caller's revision (the fleet's sequence key still holds it, and
 * each touched migration's key is unchanged or, for a creation, absent), and writes the records,
 * their audit events and the new sequence number together. Revisions are the fleet's audit sequence
 * numbers, dense and never reused.
 *
 * <p>Keys, under {@code /crossfade/<fleet>/}: {@code seq} (the last sequence number),
 * {@code migrations/<id>} (a record, by migration identity, so sidecars whose files differ never
 * overwrite each other), {@code audit/<seq, 20 digits>} (an event with its record and the instance
 * that made it), {@code instances/<id>} (heartbeats, under a lease), {@code judge} (the instance
 * that judges the fleet's pooled guard counts and takes its ramp steps, under that instance's lease),
 * {@code holds/<migration id>} and {@code holdtimers/<migration id>} (a ramp hold measured by etcd:
 * the timer is under a lease of the hold's length, so the hold has passed when the marker names it and
 * the timer is gone).
 *
 * <p>Changes from other sidecars come from a watch of the whole prefix that resumes from the last
 * etcd revision seen; a compaction past it makes the store read everything again. Every state seen is
 * copied atomically to {@code <state>/fleet-<fleet>.json}, which a sidecar started while etcd is away
 * serves from. Reads never touch etcd: the controller's snapshot is all they see.
 *
 * <p>A store that forgets: etcd recreated empty (a lost volume, a recreated pod) or restored from an
 * older backup has a fleet revision ({@code seq}) below the one this sidecar holds, usually a new
 * cluster id and an etcd revision below the last seen. The store notices at once when it reads
 * (the next request: a commit's compare-and-swap fails and the controller reads again) and when its
 * watch comes back (within about a second of etcd's return, a cheap probe before resuming). It never
 * takes the lesser state: it keeps serving the newest it holds and re-seeds the store with it, in one
 * transaction that holds only if the store's {@code seq} is still what was found (absent, for an
 * empty store), writing every record, {@code seq} one past the restored revision and a
 * {@code store_reset} audit event. Of several sidecars racing, one wins; the others read what it
 * wrote, and one holding a newer state than the winner's re-seeds again on top of it, so the newest
 * operator decisions win. Counted in {@code crossfade_store_resets_total}, named on {@code /ready}.
 * A sidecar started with a cached copy compares it with the store the same way.
 *
 * <p>Thread-safety: {@link #load} and {@link #commit} run on the controller's thread; the watch and
 * heartbeats on this store's own event loop; the in-memory copy is guarded by {@code this}.
 */
public final class EtcdMigrationStore implements MigrationStore {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdMigrationStore.class);

    /** How many audit events the cached copy keeps. */
    private static final int CACHED_EVENTS = 1000;

    /**
     * How many of the newest audit events the fleet keeps in etcd (and each sidecar in memory): the
     * audit trail is bounded, so etcd's database (its default quota is 2 GiB) and every sidecar's
     * memory stay small however long a fleet lives. Older events are deleted by the sidecar whose
     * commit crosses a multiple of {@link #TRIM_EVERY}, in one range delete; the records themselves
     * (the state) are never trimmed. {@code /admin/v1/events} then starts at the oldest event kept.
     */
    static final int AUDIT_KEPT = 10_000;

    /** How often, in committed events, the audit trail is trimmed to {@link #AUDIT_KEPT}. */
    static final int TRIM_EVERY = 100;
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final FleetOptions options;
    private final String instanceId;
    private final Clock clock;
    private final Path cacheFile;
    private final Vertx vertx;
    private final EtcdGateway etcd;
    private final ExecutorService cacheWriter;
    private final String prefix;
    private final String seqKey;

    // Guarded by this: the fleet state as last seen.
    private final TreeMap<Long, AuditEvent> audit = new TreeMap<>();
    private final Map<String, MigrationRecord> records = new TreeMap<>();
    private final Map<String, Long> modRevisions = new HashMap<>();
    private final Map<String, JsonNode> instances = new TreeMap<>();
    private final Map<String, JsonNode> holdMarkers = new HashMap<>();
    private final Map<String, JsonNode> holdTimers = new HashMap<>();
    private String judge;
    private long seq;
    private long etcdRevision;
    /** etcd's cluster id when last read; null before. */
    private String clusterId;
    private boolean loadedFromEtcd;
    private String servingFrom = "files";

    private volatile boolean connected;
    private volatile Instant since;
    private volatile double watchLagSeconds;
    private volatile CommittedElsewhere feed;
    private volatile EtcdGateway.Watch watch;
    private volatile boolean closed;
    private volatile Supplier<ObjectNode> heartbeat = () -> Json.MAPPER.createObjectNode();
    private volatile long lease;
    private volatile StoreStatus.Reset lastReset;
    /** The sequence number of the newest {@code store_reset} event counted in {@link #resets}. Under this. */
    private long countedReset;
    private final java.util.concurrent.atomic.AtomicLong resets = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.Set<String> holdsStarting = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private EtcdMigrationStore(FleetOptions options, String instanceId, Path stateDir, Clock clock) throws IOException {
        this.options = options;
        this.instanceId = instanceId;
        this.clock = clock;
        this.cacheFile = stateDir.resolve("fleet-" + options.fleet() + ".json");
        // Its own event loop: store traffic never shares a thread with the read path.
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1));
        this.etcd = new EtcdGateway(vertx, options);
        this.cacheWriter = Executors.newSingleThreadExecutor(DaemonThreads.factory("crossfade-fleet-cache"));
        this.prefix = options.prefix();
        this.seqKey = prefix + "seq";
        this.since = clock.instant();
    }

    /** Opens the store; nothing is read until {@link #load()}. */
    public static EtcdMigrationStore open(FleetOptions options, String instanceId, Path stateDir, Clock clock)
            throws IOException {
        return new EtcdMigrationStore(options, instanceId, stateDir, clock);
    }

    /** What this instance publishes in its heartbeat (called about once a second, off the read path). */
    public void heartbeat(Supplier<ObjectNode> report) {
        this.heartbeat = report;
    }

    /**
     * Reads the fleet's whole state from etcd. When etcd cannot be reached: the state already held;
     * at start, the cached copy in the state directory; without one, nothing (the files' starting
     * percents are served). In both cases the store keeps trying and delivers the state through
     * {@link CommittedElsewhere#reloaded} once etcd answers.
     */
    @Override
    public StoredState load() {
        synchronized (this) {
            if (!loadedFromEtcd && seq == 0 && records.isEmpty() && Files.exists(cacheFile)) {
                // What this sidecar served last, to hold against the store: an empty or rewound store
                // must not take it back to the files' starting percents.
                readCache(true);
            }
        }
        try {
            readEverything();
            ensureWatching();
        } catch (IOException e) {
            disconnected(e);
            // The cause, for the operator: an unreachable etcd and a refused user look alike otherwise.
            LOG.warn("fleet {}: cannot read the fleet state from etcd: {}", options.fleet(), e.getMessage());
            synchronized (this) {
                if (!loadedFromEtcd) {
                    records.clear();
                    audit.clear();
                    seq = 0;
                    readCache(false);
                }
            }
            scheduleReconnect();
        }
        return snapshot();
    }

    private synchronized StoredState snapshot() {
        return new StoredState(seq, 0, new ArrayList<>(records.values()));
    }

    /**
     * Reads the whole fleet state from etcd and takes it, unless it is older than the state held
     * ({@link #lostState}): then the store is re-seeded with the state held first ({@link #reseed}) and
     * read again.
     */
    private void readEverything() throws IOException {
        TreeMap<Long, AuditEvent> held = null;
        for (int attempt = 1; ; attempt++) {
            EtcdGateway.Range range = etcd.await(etcd.rangePrefix(prefix));
            String lost;
            synchronized (this) {
                lost = lostState(range);
                if (lost != null && held == null) {
                    held = new TreeMap<>(audit);
                }
            }
            if (lost == null) {
                take(range);
                if (held != null) {
                    synchronized (this) {
                        // The trail before the reset, which the re-seeded store does not hold: kept here
                        // and in the cached copy.
                        for (AuditEvent e : held.values()) {
                            audit.putIfAbsent(e.seq(), e);
                        }
                        trimMemory();
                    }
                    writeCache();
                }
                return;
            }
            if (attempt > 5) {
                throw new IOException("the fleet store keeps losing its state (" + lost + "); serving the state held");
            }
            reseed(range, lost);
        }
    }

    /**
     * Under this: why {@code range} holds less than this sidecar does (the store's fleet revision is
     * below the one held), or null when it holds as much or more. Nothing is lost while nothing is held.
     */
    private String lostState(EtcdGateway.Range range) {
        if (seq == 0 || !(loadedFromEtcd || "cache".equals(servingFrom))) {
            return null;
        }
        long found = seqOf(range);
        if (found >= seq) {
            return null;
        }
        StringBuilder why = new StringBuilder("the store's fleet revision is ").append(found)
                .append(", below the ").append(seq).append(" this sidecar holds");
        if (clusterId != null && !clusterId.equals(range.clusterId())) {
            why.append("; etcd's cluster id changed from ").append(clusterId).append(" to ").append(range.clusterId());
        } else if (range.revision() < etcdRevision) {
            why.append("; etcd's revision went back from ").append(etcdRevision).append(" to ").append(range.revision());
        }
        why.append(found == 0 ? " (the store came back empty)" : " (the store was restored from an older state)");
        return why.toString();
    }

    /** The fleet revision {@code range} holds: its {@code seq} key, else its newest audit event, else 0. */
    private long seqOf(EtcdGateway.Range range) {
        long found = 0;
        for (Kv kv : range.kvs()) {
            String rest = kv.key().substring(prefix.length());
            if (rest.equals("seq")) {
                return Long.parseLong(kv.text().strip());
            }
            if (rest.startsWith("audit/")) {
                found = Math.max(found, Long.parseLong(rest.substring("audit/".length())));
            }
        }
        return found;
    }

    /**
     * Writes the state held back into a store that lost it ({@code found}, read just now), provided
     * the store's {@code seq} is still what was found: every record, {@code seq} one past the revision
     * held, and a {@code store_reset} event. Whether this sidecar or another wins, the caller reads the
     * store again.
     */
    private void reseed(EtcdGateway.Range found, String cause) throws IOException {
        List<MigrationRecord> held;
        long restored;
        synchronized (this) {
            held = new ArrayList<>(records.values());
            restored = seq;
        }
        long foundSeq = seqOf(found);
        Kv seqKv = found.kvs().stream().filter(kv -> kv.key().equals(seqKey)).findFirst().orElse(null);
        long next = restored + 1;
        ObjectNode before = Json.MAPPER.createObjectNode().put("revision", foundSeq);
        ObjectNode after = Json.MAPPER.createObjectNode().put("revision", restored).put("migrations", held.size());
        AuditEvent event = new AuditEvent(next, clock.instant(), "store", null, null, AuditEvent.STORE_RESET, before,
                after, cause, null, instanceId);
        ArrayNode compare = Json.MAPPER.createArrayNode();
        compare.add(seqKv == null ? EtcdGateway.compareCreate(seqKey, 0) : EtcdGateway.compareValue(seqKey, seqKv.text()));
        ArrayNode success = Json.MAPPER.createArrayNode();
        success.add(EtcdGateway.put(seqKey, Long.toString(next).getBytes(StandardCharsets.UTF_8)));
        for (MigrationRecord r : held) {
            success.add(EtcdGateway.put(migrationKey(r.id()), Json.MAPPER.writeValueAsBytes(r)));
        }
        success.add(EtcdGateway.put(auditKey(next), Json.MAPPER.writeValueAsBytes(event)));
        lastReset = new StoreStatus.Reset(clock.instant(), cause, restored, null);
        LOG.warn("fleet {}: {}; serving the state held (revision {}) and re-seeding the store with it",
                options.fleet(), cause, restored);
        EtcdGateway.TxnResult result = etcd.await(etcd.txn(compare, success, Json.MAPPER.createArrayNode()));
        if (result.succeeded()) {
            LOG.warn("fleet {}: re-seeded the store with revision {} ({} migrations); audit event {} records it",
                    options.fleet(), restored, held.size(), next);
        } else {
            LOG.info("fleet {}: another sidecar re-seeded the store first; reading what it wrote", options.fleet());
        }
    }

    /** Takes {@code range} as the fleet state. */
    private void take(EtcdGateway.Range range) throws IOException {
        synchronized (this) {
            String clusterBefore = clusterId;
            long etcdBefore = etcdRevision;
            long seqBefore = seq;
            audit.clear();
            records.clear();
            modRevisions.clear();
            instances.clear();
            holdMarkers.clear();
            holdTimers.clear();
            judge = null;
            seq = 0;
            for (Kv kv : range.kvs()) {
                absorb(kv);
            }
            etcdRevision = range.revision();
            clusterId = range.clusterId();
            trimMemory();
            loadedFromEtcd = true;
            servingFrom = "store";
            boolean otherStore = clusterBefore != null
                    && (!clusterBefore.equals(range.clusterId()) || range.revision() < etcdBefore);
            AuditEvent newest = null;
            for (AuditEvent e : audit.descendingMap().values()) {
                if (AuditEvent.STORE_RESET.equals(e.action())) {
                    newest = e;
                    break;
                }
            }
            StoreStatus.Reset noticed = lastReset;
            boolean news = otherStore || (noticed != null && noticed.reseededBy() == null)
                    || (seqBefore > 0 && newest != null && newest.seq() > seqBefore);
            if (newest != null && news) {
                String cause = noticed != null && noticed.reseededBy() == null ? noticed.cause()
                        : otherStore ? "etcd at " + etcd.endpoint() + " is another store (cluster id " + clusterBefore
                                + " -> " + range.clusterId() + ", etcd revision " + etcdBefore + " -> " + range.revision()
                                + "); " + newest.reason()
                        : newest.reason();
                resetSeen(newest, noticed == null ? clock.instant() : noticed.at(), cause);
            }
        }
        connected();
        writeCache();
    }

    /** Under this: {@code event}, a {@code store_reset}, is what this sidecar knows of the last reset; counted once. */
    private void resetSeen(AuditEvent event, Instant at, String cause) {
        StoreStatus.Reset noticed = lastReset;
        lastReset = new StoreStatus.Reset(noticed != null && noticed.reseededBy() == null ? noticed.at() : at, cause,
                event.to() == null ? event.seq() - 1 : event.to().path("revision").asLong(event.seq() - 1),
                event.instance());
        if (event.seq() > countedReset) {
            countedReset = event.seq();
            resets.incrementAndGet();
        }
    }

    /** How many times this sidecar found the store had lost the fleet's state ({@code crossfade_store_resets_total}). */
    public long resets() {
        return resets.get();
    }

    /** Takes one key into the in-memory copy; returns the audit event it held, if it was one. Under this. */
    private AuditEvent absorb(Kv kv) throws IOException {
        String rest = kv.key().substring(prefix.length());
        if (rest.equals("seq")) {
            seq = Math.max(seq, Long.parseLong(kv.text().strip()));
        } else if (rest.startsWith("migrations/")) {
            MigrationRecord r = Json.MAPPER.readValue(kv.value(), MigrationRecord.class);
            records.put(r.id(), r);
            modRevisions.put(r.id(), kv.modRevision());
        } else if (rest.startsWith("audit/")) {
            AuditEvent e = Json.MAPPER.readValue(kv.value(), AuditEvent.class);
            audit.put(e.seq(), e);
            seq = Math.max(seq, e.seq());
            return e;
        } else if (rest.startsWith("instances/")) {
            instances.put(rest.substring("instances/".length()), Json.MAPPER.readTree(kv.value()));
        } else if (rest.equals("judge")) {
            judge = Json.MAPPER.readTree(kv.value()).path("instance").asText(null);
        } else if (rest.startsWith("holds/")) {
            holdMarkers.put(rest.substring("holds/".length()), Json.MAPPER.readTree(kv.value()));
        } else if (rest.startsWith("holdtimers/")) {
            holdTimers.put(rest.substring("holdtimers/".length()), Json.MAPPER.readTree(kv.value()));
        }
        return null;
    }

    @Override
    public List<AuditEvent> commit(long basedOn, List<AuditEvent> events, long snapshotVersion)
            throws IOException, StaleStateException {
        if (events.isEmpty()) {
            return List.of();
        }
        List<AuditEvent> numbered = new ArrayList<>();
        long next = basedOn;
        for (AuditEvent e : events) {
            numbered.add(e.madeBy(instanceId).withSeq(++next));
        }
        ArrayNode compare = Json.MAPPER.createArrayNode();
        ArrayNode success = Json.MAPPER.createArrayNode();
        // The fleet's sequence number is still the one this change was decided on...
        compare.add(basedOn == 0 ? EtcdGateway.compareCreate(seqKey, 0)
                : EtcdGateway.compareValue(seqKey, Long.toString(basedOn)));
        success.add(EtcdGateway.put(seqKey, Long.toString(next).getBytes(StandardCharsets.UTF_8)));
        synchronized (this) {
            for (AuditEvent e : numbered) {
                String key = migrationKey(e.migration());
                // ...and each migration is as it was decided on: absent for a creation (created once
                // however many sidecars load the same files), otherwise at the revision seen.
                if (AuditEvent.CREATED.equals(e.action()) || !modRevisions.containsKey(e.migration())) {
                    compare.add(EtcdGateway.compareCreate(key, 0));
                } else {
                    compare.add(EtcdGateway.compareMod(key, modRevisions.get(e.migration())));
                }
                if (e.record() != null) {
                    success.add(EtcdGateway.put(key, Json.MAPPER.writeValueAsBytes(e.record())));
                }
                success.add(EtcdGateway.put(auditKey(e.seq()), Json.MAPPER.writeValueAsBytes(e)));
            }
        }
        ArrayNode failure = Json.MAPPER.createArrayNode();
        failure.add(EtcdGateway.get(seqKey));
        EtcdGateway.TxnResult result;
        try {
            result = etcd.await(etcd.txn(compare, success, failure));
        } catch (IOException e) {
            disconnected(e);
            // the controller adds "nothing changed" to what it tells the operator
            throw new IOException("the fleet store is unavailable (" + e.getMessage() + ")", e);
        }
        connected();
        if (!result.succeeded()) {
            List<Kv> now = EtcdGateway.rangeResponse(result, 0);
            long current = now.isEmpty() ? 0 : Long.parseLong(now.get(0).text().strip());
            throw new StaleStateException(basedOn, current);
        }
        synchronized (this) {
            for (AuditEvent e : numbered) {
                audit.put(e.seq(), e);
                if (e.record() != null) {
                    records.put(e.migration(), e.record());
                    modRevisions.put(e.migration(), result.revision());
                }
            }
            seq = Math.max(seq, next);
            trimMemory();
        }
        if (next / TRIM_EVERY > basedOn / TRIM_EVERY && next > AUDIT_KEPT) {
            trimStore(next - AUDIT_KEPT);
        }
        writeCache();
        return numbered;
    }

    @Override
    public void follow(CommittedElsewhere feed) {
        this.feed = feed;
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public synchronized List<AuditEvent> page(long since, String key, int limit) {
        List<AuditEvent> out = new ArrayList<>();
        for (AuditEvent e : audit.tailMap(since, false).values()) {
            if (out.size() >= limit) {
                break;
            }
            if (key == null || key.equals(e.key())) {
                out.add(e);
            }
        }
        return out;
    }

    @Override
    public synchronized long lastSeq() {
        return seq;
    }

    @Override
    public Optional<StoreStatus> status() {
        String from;
        long revision;
        synchronized (this) {
            from = servingFrom;
            revision = seq;
        }
        StoreStatus.Reset reset = lastReset;
        if (reset != null && clock.instant().isAfter(reset.at().plus(StoreStatus.RESET_SHOWN))) {
            reset = null;
        }
        return Optional.of(new StoreStatus("etcd", options.fleet(), etcd.endpoint().toString(), connected, since,
                revision, from, List.of(), reset));
    }

    /** Seconds between a change's commit (by its event's time) and this sidecar hearing of it, last seen. */
    public double watchLagSeconds() {
        return watchLagSeconds;
    }

    /** This sidecar's instance id. */
    public String instanceId() {
        return instanceId;
    }

    /** The instance that judges the fleet's pooled guard counts and takes its ramp steps; null while none does. */
    public synchronized String judge() {
        return judge;
    }

    /**
     * True while this sidecar holds the fleet's judge key and etcd answers. The key lives under this
     * sidecar's heartbeat lease: if it dies or loses etcd for longer than the lease, the key goes and
     * another live sidecar takes it at its next heartbeat. A sidecar that joins later never takes it
     * from a live judge, so the judge changes only when one dies.
     */
    public boolean isJudge() {
        return connected && instanceId.equals(judge());
    }

    /** Where a ramp hold measured by etcd stands. */
    public enum HoldPhase {
        /** No timer was started for this hold yet. */
        NOT_STARTED,
        /** Its timer is alive: the hold has not passed by etcd's clock. */
        RUNNING,
        /** Its timer was started and has expired: the hold has passed by etcd's clock. */
        ELAPSED
    }

    /**
     * Where the hold of step {@code step} of migration {@code migrationId} that started at {@code since}
     * (the record's hold start, which identifies one hold) stands, as last seen from etcd. Cheap; any thread.
     */
    public synchronized HoldPhase hold(String migrationId, int step, Instant since) {
        if (!sameHold(holdMarkers.get(migrationId), step, since)) {
            return HoldPhase.NOT_STARTED;
        }
        return sameHold(holdTimers.get(migrationId), step, since) ? HoldPhase.RUNNING : HoldPhase.ELAPSED;
    }

    private static boolean sameHold(JsonNode doc, int step, Instant since) {
        return doc != null && doc.path("step").asInt(-2) == step && since.toString().equals(doc.path("since").asText());
    }

    /**
     * Starts etcd's timer of a hold, in one transaction: the marker naming the hold, and the timer under a
     * fresh lease of {@code remaining} (whole seconds, rounded up; etcd may lengthen a very short lease
     * to its minimum, about 2 s, and renews leases when its own leader changes: a hold measured by etcd
     * may run a little long, never short). Asynchronous; a second call for the same migration while one
     * is on its way does nothing.
     */
    public void startHold(String migrationId, int step, Instant since, Duration remaining) {
        if (closed || !holdsStarting.add(migrationId)) {
            return;
        }
        ObjectNode doc = Json.MAPPER.createObjectNode();
        doc.put("step", step);
        doc.put("since", since.toString());
        doc.put("by", instanceId);
        long ttl = Math.max(1, (remaining.toMillis() + 999) / 1000);
        byte[] bytes;
        try {
            bytes = Json.MAPPER.writeValueAsBytes(doc);
        } catch (IOException e) {
            holdsStarting.remove(migrationId);
            return;
        }
        etcd.grantLease(ttl).compose(holdLease -> {
            ArrayNode success = Json.MAPPER.createArrayNode();
            success.add(EtcdGateway.put(prefix + "holds/" + migrationId, bytes));
            success.add(EtcdGateway.putLeased(prefix + "holdtimers/" + migrationId, bytes, holdLease));
            return etcd.txn(Json.MAPPER.createArrayNode(), success, Json.MAPPER.createArrayNode());
        }).onComplete(ar -> {
            if (ar.succeeded()) {
                synchronized (this) {
                    holdMarkers.put(migrationId, doc);
                    holdTimers.put(migrationId, doc);
                }
                LOG.info("fleet {}: ramp hold of step {} of migration {} timed by etcd: {} s", options.fleet(),
                        step + 1, migrationId, ttl);
            } else {
                LOG.info("fleet {}: could not start the hold timer of migration {}: {}; trying again",
                        options.fleet(), migrationId, ar.cause().getMessage());
            }
            holdsStarting.remove(migrationId);
        });
    }

    /** The live instances' last heartbeats, by instance id. */
    public synchronized Map<String, JsonNode> instances() {
        return new TreeMap<>(instances);
    }

    // ---- watch, reconnection, heartbeats: on the store's event loop ----

    private void ensureWatching() {
        ensureWatching(false);
    }

    /**
     * Starts the watch from the revision after the last one seen. {@code resuming}: after a disconnect,
     * with the state kept rather than read again, so etcd replays what this sidecar missed; said once in
     * the log when the watch is back (an operator, and the tests, can tell it from a whole re-read).
     */
    private void ensureWatching(boolean resuming) {
        if (watch != null || closed) {
            return;
        }
        long from;
        synchronized (this) {
            from = etcdRevision + 1;
        }
        etcd.watch(prefix, from, this::watched, this::watchEnded).onComplete(ar -> {
            if (ar.succeeded()) {
                watch = ar.result();
                connected();
                if (resuming) {
                    LOG.info("fleet {}: resumed the watch from etcd revision {}, after the last one seen: the changes"
                            + " made meanwhile are replayed, nothing is read again", options.fleet(), from);
                }
                startHeartbeats();
            } else {
                disconnected(ar.cause());
                scheduleReconnect();
            }
        });
    }

    private void watched(WatchMessage message) {
        if (message.canceled()) {
            watch = null;
            if (message.compactRevision() > 0) {
                LOG.warn("fleet {}: etcd compacted its history past revision {}; reading the whole state again",
                        options.fleet(), message.compactRevision());
                vertx.executeBlocking(() -> {
                    readEverything();
                    return snapshot();
                }).onComplete(ar -> {
                    if (ar.succeeded()) {
                        CommittedElsewhere f = feed;
                        if (f != null) {
                            f.reloaded(ar.result());
                        }
                        ensureWatching();
                    } else {
                        disconnected(ar.cause());
                        scheduleReconnect();
                    }
                });
            } else {
                disconnected(new IOException("etcd cancelled the watch: " + message.cancelReason()));
                scheduleReconnect();
            }
            return;
        }
        connected();
        List<AuditEvent> fresh = new ArrayList<>();
        synchronized (this) {
            long before = seq;
            for (EtcdGateway.WatchEvent e : message.events()) {
                try {
                    if (e.delete()) {
                        String rest = e.kv().key().substring(prefix.length());
                        if (rest.startsWith("instances/")) {
                            instances.remove(rest.substring("instances/".length()));
                        } else if (rest.equals("judge")) {
                            judge = null;
                        } else if (rest.startsWith("holds/")) {
                            holdMarkers.remove(rest.substring("holds/".length()));
                        } else if (rest.startsWith("holdtimers/")) {
                            holdTimers.remove(rest.substring("holdtimers/".length()));
                        }
                        continue;
                    }
                    AuditEvent event = absorbWatched(e.kv(), before);
                    if (event != null) {
                        fresh.add(event);
                    }
                } catch (IOException | RuntimeException ex) {
                    LOG.warn("fleet {}: ignoring key {} that cannot be read: {}", options.fleet(), e.kv().key(),
                            ex.getMessage());
                }
            }
            // Where a resumed watch starts: never past a change not delivered yet.
            etcdRevision = Math.max(etcdRevision, message.seenThrough());
            trimMemory();
        }
        if (!fresh.isEmpty()) {
            fresh.sort(java.util.Comparator.comparingLong(AuditEvent::seq));
            AuditEvent newest = fresh.get(fresh.size() - 1);
            watchLagSeconds = Math.max(0, Duration.between(newest.time(), clock.instant()).toMillis() / 1000.0);
            CommittedElsewhere f = feed;
            if (f != null) {
                f.committed(fresh);
            }
            writeCache();
        }
    }

    /** Under this: a watched put; returns an audit event this store had not seen yet. */
    private AuditEvent absorbWatched(Kv kv, long seenBefore) throws IOException {
        String rest = kv.key().substring(prefix.length());
        if (rest.startsWith("audit/")) {
            AuditEvent e = Json.MAPPER.readValue(kv.value(), AuditEvent.class);
            if (AuditEvent.STORE_RESET.equals(e.action()) && e.seq() > countedReset) {
                resetSeen(e, clock.instant(), e.reason());
            }
            boolean known = audit.containsKey(e.seq());
            audit.put(e.seq(), e);
            seq = Math.max(seq, e.seq());
            return known || e.seq() <= seenBefore ? null : e;
        }
        absorb(kv);
        return null;
    }

    private void watchEnded(Throwable cause) {
        watch = null;
        disconnected(cause);
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        if (closed) {
            return;
        }
        vertx.setTimer(RETRY.toMillis(), id -> reconnect());
    }

    private void reconnect() {
        if (closed || watch != null) {
            return;
        }
        boolean everLoaded;
        synchronized (this) {
            everLoaded = loadedFromEtcd;
        }
        if (everLoaded) {
            // A cheap look first: is it the store this sidecar knew? An empty or restored etcd would
            // take a watch from a revision it has not reached yet and stay silent for ever.
            vertx.executeBlocking(this::sameStore).onComplete(ar -> {
                if (ar.failed()) {
                    disconnected(ar.cause());
                    scheduleReconnect();
                } else if (ar.result()) {
                    // Resume from the last revision seen: the watch replays what was missed.
                    ensureWatching(true);
                } else {
                    vertx.executeBlocking(() -> {
                        readEverything();
                        return snapshot();
                    }).onComplete(read -> {
                        if (read.failed()) {
                            disconnected(read.cause());
                            scheduleReconnect();
                            return;
                        }
                        CommittedElsewhere f = feed;
                        if (f != null) {
                            f.reloaded(read.result());
                        }
                        ensureWatching();
                    });
                }
            });
            return;
        }
        vertx.executeBlocking(() -> {
            readEverything();
            return snapshot();
        }).onComplete(ar -> {
            if (ar.failed()) {
                disconnected(ar.cause());
                scheduleReconnect();
                return;
            }
            LOG.info("fleet {}: reached etcd at {}, serving the fleet's state (revision {})", options.fleet(),
                    etcd.endpoint(), ar.result().revision());
            CommittedElsewhere f = feed;
            if (f != null) {
                f.reloaded(ar.result());
            }
            ensureWatching();
        });
    }

    /**
     * Blocking: true when etcd is still the store last read (same cluster id, its revision not below
     * the last seen, its fleet revision not below the one held); false when it must be read again.
     */
    private boolean sameStore() throws IOException {
        EtcdGateway.Range probe = etcd.await(etcd.rangePrefix(seqKey));
        synchronized (this) {
            boolean sameCluster = clusterId == null || clusterId.equals(probe.clusterId());
            boolean notRewound = probe.revision() >= etcdRevision && seqOf(probe) >= seq;
            if (!sameCluster || !notRewound) {
                LOG.warn("fleet {}: etcd at {} is not the store last seen (cluster id {} -> {}, etcd revision {} -> {},"
                        + " fleet revision {} -> {}); reading it again", options.fleet(), etcd.endpoint(), clusterId,
                        probe.clusterId(), etcdRevision, probe.revision(), seq, seqOf(probe));
                return false;
            }
            return true;
        }
    }

    private boolean heartbeating;

    private void startHeartbeats() {
        if (heartbeating) {
            return;
        }
        heartbeating = true;
        vertx.setPeriodic(0, 1000, id -> {
            if (closed) {
                vertx.cancelTimer(id);
                return;
            }
            beat();
        });
    }

    private void beat() {
        io.vertx.core.Future<Long> leased = lease != 0 ? etcd.keepAlive(lease).compose(ttl -> {
            if (ttl <= 0) {
                lease = 0;
                return etcd.grantLease(5);
            }
            return io.vertx.core.Future.succeededFuture(lease);
        }) : etcd.grantLease(5);
        leased.compose(id -> {
            lease = id;
            ObjectNode doc = heartbeat.get();
            doc.put("id", instanceId);
            doc.put("lastSeen", clock.instant().toString());
            try {
                return etcd.put(prefix + "instances/" + instanceId, Json.MAPPER.writeValueAsBytes(doc), id);
            } catch (IOException e) {
                return io.vertx.core.Future.failedFuture(e);
            }
        }).onComplete(ar -> {
            if (ar.succeeded()) {
                connected();
                if (judge() == null) {
                    campaign();
                }
            } else {
                disconnected(ar.cause());
            }
        });
    }

    /**
     * Asks to be the fleet's judge: creates the judge key under this sidecar's lease unless it exists.
     * A transaction, so however many sidecars ask at once, one gets it.
     */
    private void campaign() {
        long mine = lease;
        if (mine == 0 || closed) {
            return;
        }
        String judgeKey = prefix + "judge";
        ObjectNode doc = Json.MAPPER.createObjectNode();
        doc.put("instance", instanceId);
        doc.put("since", clock.instant().toString());
        ArrayNode compare = Json.MAPPER.createArrayNode();
        compare.add(EtcdGateway.compareCreate(judgeKey, 0));
        ArrayNode success = Json.MAPPER.createArrayNode();
        ArrayNode failure = Json.MAPPER.createArrayNode();
        failure.add(EtcdGateway.get(judgeKey));
        try {
            success.add(EtcdGateway.putLeased(judgeKey, Json.MAPPER.writeValueAsBytes(doc), mine));
        } catch (IOException e) {
            return;
        }
        etcd.txn(compare, success, failure).onComplete(ar -> {
            if (ar.failed()) {
                return; // the next heartbeat asks again
            }
            String holder;
            if (ar.result().succeeded()) {
                holder = instanceId;
                LOG.info("fleet {}: this sidecar ({}) is now the fleet's judge: it judges the pooled guard counts"
                        + " and takes the ramp steps", options.fleet(), instanceId);
            } else {
                List<Kv> now = EtcdGateway.rangeResponse(ar.result(), 0);
                try {
                    holder = now.isEmpty() ? null : Json.MAPPER.readTree(now.get(0).value()).path("instance")
                            .asText(null);
                } catch (IOException e) {
                    holder = null;
                }
            }
            synchronized (this) {
                judge = holder;
            }
        });
    }

    private void connected() {
        if (!connected) {
            connected = true;
            since = clock.instant();
            LOG.info("fleet {}: connected to etcd at {}", options.fleet(), etcd.endpoint());
        }
    }

    private void disconnected(Throwable cause) {
        if (connected || since == null) {
            since = clock.instant();
        }
        if (connected) {
            LOG.warn("fleet {}: lost etcd ({}); serving the last state seen", options.fleet(), cause.getMessage());
        }
        connected = false;
    }

    // ---- the cached copy in the state directory ----

    private void writeCache() {
        ObjectNode doc;
        synchronized (this) {
            doc = Json.MAPPER.createObjectNode();
            doc.put("fleet", options.fleet());
            doc.put("revision", seq);
            doc.put("etcdRevision", etcdRevision);
            doc.put("savedAt", clock.instant().toString());
            doc.set("migrations", Json.MAPPER.valueToTree(new ArrayList<>(records.values())));
            List<AuditEvent> tail = new ArrayList<>(audit.descendingMap().values().stream().limit(CACHED_EVENTS)
                    .toList());
            java.util.Collections.reverse(tail);
            doc.set("events", Json.MAPPER.valueToTree(tail));
        }
        try {
            cacheWriter.execute(() -> {
                try {
                    DurableFiles.writeAtomically(cacheFile, Json.MAPPER.writeValueAsBytes(doc), false);
                } catch (IOException e) {
                    LOG.warn("fleet {}: cannot write the cached copy {}: {}", options.fleet(), cacheFile,
                            e.getMessage());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException ignored) {
            // closing
        }
    }

    /**
     * Under this: the cached copy, if any, as the state to serve until etcd answers.
     *
     * @param quiet read only to hold against the store, which is about to be read: nothing logged
     */
    private void readCache(boolean quiet) {
        if (!Files.exists(cacheFile)) {
            LOG.warn("fleet {}: etcd cannot be reached and there is no cached copy in {}; serving the files'"
                    + " starting percents until it can", options.fleet(), cacheFile);
            servingFrom = "files";
            return;
        }
        try {
            JsonNode doc = Json.MAPPER.readTree(cacheFile.toFile());
            for (JsonNode r : doc.path("migrations")) {
                MigrationRecord record = Json.MAPPER.treeToValue(r, MigrationRecord.class);
                records.put(record.id(), record);
            }
            for (JsonNode e : doc.path("events")) {
                AuditEvent event = Json.MAPPER.treeToValue(e, AuditEvent.class);
                audit.put(event.seq(), event);
            }
            seq = doc.path("revision").asLong(0);
            servingFrom = "cache";
            if (quiet) {
                return;
            }
            LOG.warn("fleet {}: etcd cannot be reached; serving the cached copy {} (revision {}, saved {})",
                    options.fleet(), cacheFile, seq, doc.path("savedAt").asText());
        } catch (IOException | RuntimeException e) {
            LOG.warn("fleet {}: etcd cannot be reached and the cached copy {} cannot be read ({}); serving the"
                    + " files' starting percents", options.fleet(), cacheFile, e.getMessage());
            records.clear();
            audit.clear();
            seq = 0;
            servingFrom = "files";
        }
    }

    /** Under this: forgets audit events older than the {@link #AUDIT_KEPT} newest. */
    private void trimMemory() {
        while (audit.size() > AUDIT_KEPT) {
            audit.pollFirstEntry();
        }
    }

    /** Deletes the audit events below {@code firstKept} from etcd; asynchronous, best effort (the next trim retries). */
    private void trimStore(long firstKept) {
        etcd.deleteRange(auditKey(0), auditKey(firstKept)).onComplete(ar -> {
            if (ar.succeeded() && ar.result() > 0) {
                LOG.info("fleet {}: trimmed {} audit events older than revision {} (the newest {} are kept)",
                        options.fleet(), ar.result(), firstKept, AUDIT_KEPT);
            } else if (ar.failed()) {
                LOG.info("fleet {}: could not trim the audit trail: {}", options.fleet(), ar.cause().getMessage());
            }
        });
    }

    private String migrationKey(String id) {
        return prefix + "migrations/" + id;
    }

    private String auditKey(long seq) {
        return prefix + "audit/" + String.format("%020d", seq);
    }

    @Override
    public void close() {
        closed = true;
        long mine = lease;
        if (mine != 0) {
            // Gone at once rather than when the lease runs out: the heartbeat, and the judge's key if
            // this sidecar held it, so that another sidecar judges without waiting.
            try {
                etcd.revokeLease(mine).toCompletionStage().toCompletableFuture().get(1, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // the lease runs out on its own
            }
        }
        EtcdGateway.Watch w = watch;
        if (w != null) {
            try {
                w.close();
            } catch (RuntimeException ignored) {
                // closing anyway
            }
        }
        cacheWriter.shutdown();
        try {
            cacheWriter.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        etcd.close();
        vertx.close();
    }
}

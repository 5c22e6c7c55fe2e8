package io.crossfade.sidecar.state;

import io.crossfade.sidecar.rollout.AuditEvent;
import io.crossfade.sidecar.rollout.MigrationRecord;
import io.crossfade.sidecar.rollout.MigrationStore;
import io.crossfade.sidecar.rollout.StaleStateException;
import io.crossfade.sidecar.rollout.StoredState;
import io.crossfade.sidecar.rollout.Tombstone;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The migration store of a single sidecar: {@code <state>/audit.jsonl} ({@link AuditLog}), which is
 * also the write-ahead log, and {@code <state>/state.json} ({@link StateStore}). A commit appends its
 * events with one fsync, then rewrites the state file atomically (fsync, rename, directory fsync); a
 * crash between the two is repaired at the next {@link #load()} by replaying the log. A commit whose
 * state file cannot be written is taken back out of the log. Revisions are never handed out twice,
 * even when the log was removed by hand.
 *
 * <p>Thread-safety: {@link #load} and {@link #commit} are called from the rollout controller's thread
 * only; {@link #page} and {@link #lastSeq} from any thread.
 */
public final class FileMigrationStore implements MigrationStore {

    private static final Logger LOG = LoggerFactory.getLogger(FileMigrationStore.class);

    private final Path stateDir;
    private final StateStore stateFile;
    private final AuditLog audit;

    // Owned by the controller's thread: what state.json holds (records by setting key, tombstones by id).
    private Map<String, MigrationRecord> records = Map.of();
    private Map<String, Tombstone> tombstones = Map.of();
    private long lastSeqInState;

    private FileMigrationStore(Path stateDir, StateStore stateFile, AuditLog audit) {
        this.stateDir = stateDir;
        this.stateFile = stateFile;
        this.audit = audit;
    }

    /** Opens the store in {@code stateDir}, cutting off a torn last audit line (see {@link AuditLog#open}). */
    public static FileMigrationStore open(Path stateDir) throws IOException {
        return open(stateDir, AuditRetention.DEFAULT, java.time.Clock.systemUTC());
    }

    /** Opens the store in {@code stateDir}, keeping as much audit log as {@code retention} says. */
    public static FileMigrationStore open(Path stateDir, AuditRetention retention, java.time.Clock clock)
            throws IOException {
        return new FileMigrationStore(stateDir, new StateStore(stateDir), AuditLog.open(stateDir, retention, clock));
    }

    /**
     * The state file plus any audit events written after it (a crash after the audit append but
     * before the state write: the event is the truth).
     */
    @Override
    public StoredState load() throws IOException {
        PersistedState persisted = stateFile.load();
        Map<String, MigrationRecord> recovered = new TreeMap<>(persisted.migrations());
        Map<String, Tombstone> graves = new TreeMap<>(persisted.tombstones());
        long lastSeq = persisted.lastSeq();
        for (AuditEvent e : audit.after(persisted.lastSeq())) {
            replay(e, recovered, graves);
            lastSeq = e.seq();
        }
        if (lastSeq != persisted.lastSeq()) {
            LOG.info("recovered {} change(s) from the audit log that the state file did not have yet",
                    lastSeq - persisted.lastSeq());
        }
        // Numbers the state file refers to (revisions) must never be handed out again.
        audit.continueAfter(persisted.lastSeq());
        // What the state file holds need not be replayed: older segments may go with the retention.
        audit.keepAfter(persisted.lastSeq());
        records = recovered;
        tombstones = graves;
        // The next state write holds the replayed records, so it covers the replayed events too.
        lastSeqInState = lastSeq;
        return new StoredState(lastSeq, persisted.snapshotVersion(), new ArrayList<>(recovered.values()),
                new ArrayList<>(graves.values()));
    }

    /**
     * What {@code e} did to the records (by key) and tombstones (by id): the write-ahead replay. A
     * retired record becomes a tombstone as {@link io.crossfade.sidecar.rollout.Reconciliation} made
     * it ({@link Tombstone#of}); one made without a retention is forgotten at the next reconciliation.
     */
    static void replay(AuditEvent e, Map<String, MigrationRecord> records, Map<String, Tombstone> graves) {
        if (AuditEvent.FORGOTTEN.equals(e.action())) {
            graves.remove(e.migration());
        } else if (AuditEvent.RETIRED.equals(e.action()) || e.record() == null) {
            MigrationRecord gone = records.remove(e.key());
            if (gone != null && gone.id().equals(e.migration())) {
                graves.put(gone.id(), Tombstone.of(gone, e.time()));
            }
        } else {
            graves.remove(e.record().id());
            records.put(e.key(), e.record());
        }
    }

    /** Commits keeping the tombstones as they are, but for what the events do to them. */
    @Override
    public List<AuditEvent> commit(long basedOn, List<AuditEvent> events, long snapshotVersion)
            throws IOException, StaleStateException {
        return commit(basedOn, events, null, snapshotVersion);
    }

    /**
     * Appends the events to the audit log (one fsync), then writes the state file. When the state
     * file cannot be written the events are taken back out of the log, so a refused change leaves no
     * trace there, and the IOException is thrown.
     */
    @Override
    public List<AuditEvent> commit(long basedOn, List<AuditEvent> events, Map<String, Tombstone> keep,
            long snapshotVersion) throws IOException, StaleStateException {
        if (basedOn != audit.lastSeq()) {
            // A single writer cannot be overtaken; this is a caller's bug, refused like a lost race.
            throw new StaleStateException(basedOn, audit.lastSeq());
        }
        List<AuditEvent> written;
        try {
            written = audit.appendAll(events);
        } catch (IOException e) {
            throw new IOException(cannotWrite(e), e);
        }
        Map<String, MigrationRecord> next = new TreeMap<>(records);
        Map<String, Tombstone> graves = new TreeMap<>(tombstones);
        for (AuditEvent e : written) {
            replay(e, next, graves);
        }
        if (keep != null) {
            graves = new TreeMap<>(keep);
        }
        long lastSeq = written.isEmpty() ? lastSeqInState : written.get(written.size() - 1).seq();
        try {
            stateFile.save(new PersistedState(PersistedState.FORMAT, lastSeq, snapshotVersion, next, graves));
        } catch (IOException e) {
            try {
                audit.discardLastAppend();
            } catch (IOException undo) {
                LOG.error("the audit log keeps {} event(s) of a change that was refused ({}); they will be"
                        + " replayed at the next start", written.size(), undo.getMessage());
            }
            throw new IOException(cannotWrite(e), e);
        }
        lastSeqInState = lastSeq;
        records = next;
        tombstones = graves;
        audit.keepAfter(lastSeq);
        return written;
    }

    private String cannotWrite(IOException e) {
        return "the state directory " + stateDir + " cannot be written: " + e.getMessage();
    }

    /** Nobody else writes a sidecar's own state directory. */
    @Override
    public void follow(CommittedElsewhere feed) {
    }

    @Override
    public boolean shared() {
        return false;
    }

    @Override
    public List<AuditEvent> page(long since, String key, int limit) {
        return audit.page(since, key, limit);
    }

    @Override
    public long lastSeq() {
        return audit.lastSeq();
    }

    /** The audit log file. */
    public Path auditFile() {
        return audit.file();
    }

    @Override
    public void close() throws IOException {
        audit.close();
    }
}

package io.crossfade.sidecar.rollout;

import java.io.IOException;
import java.util.List;

/**
 * Where the rollout controller keeps the state of migrations and their audit trail: a sidecar's own
 * state directory, or a store that a fleet of sidecars shares. The controller is the only caller of
 * {@link #commit}, always from its one thread; implementations own the durability guarantee.
 *
 * <p>Revisions are audit sequence numbers: every committed event gets the next one, the record it
 * carries takes it as its revision, and no number is ever handed out twice.
 */
public interface MigrationStore extends AuditTrail, AutoCloseable {

    /**
     * Reads the committed state. Blocking; called at start and again whenever the controller finds its
     * copy stale.
     *
     * @throws IOException when the state cannot be read; the message says where and why
     */
    StoredState load() throws IOException;

    /**
     * Commits {@code events} as one atomic change, provided nothing was committed after revision
     * {@code basedOn} (compare-and-swap). Each event carries the record after it (null for a
     * retirement). Returns only once the change is durable. An empty list commits nothing but lets the
     * store checkpoint {@code snapshotVersion}.
     *
     * @param basedOn the last revision the caller's copy includes
     * @param events the events, without sequence numbers
     * @param snapshotVersion the snapshot version the change will be published under, kept so that
     *     versions keep rising across restarts
     * @return the events as committed, with their sequence numbers (their records stamped with them)
     * @throws StaleStateException when another writer committed after {@code basedOn}; nothing was written
     * @throws IOException when the change could not be made durable; nothing was written
     */
    List<AuditEvent> commit(long basedOn, List<AuditEvent> events, long snapshotVersion)
            throws IOException, StaleStateException;

    /**
     * Commits as {@link #commit(long, List, long)}, and keeps {@code tombstones} as the retired
     * migrations' state from then on, in the same atomic change. A store that keeps no tombstones (a
     * shared store: it retires nothing, so every identity's record stays) ignores them.
     *
     * @param tombstones every tombstone to keep, by migration id: the whole set, not a change
     */
    default List<AuditEvent> commit(long basedOn, List<AuditEvent> events, java.util.Map<String, Tombstone> tombstones,
            long snapshotVersion) throws IOException, StaleStateException {
        return commit(basedOn, events, snapshotVersion);
    }

    /**
     * Registers where changes committed by other writers are delivered, in revision order. A store
     * with a single writer never calls it. Call before {@link #load()} so that nothing falls between.
     */
    void follow(CommittedElsewhere feed);

    /**
     * True when other sidecars commit to this store too. A migration missing from this sidecar's
     * files may then be another sidecar's, so it is kept rather than retired, and records are matched
     * to the files by migration id.
     */
    boolean shared();

    /** How a shared store is doing, for {@code /ready} and metrics; empty for a sidecar's own state directory. */
    default java.util.Optional<StoreStatus> status() {
        return java.util.Optional.empty();
    }

    @Override
    void close() throws IOException;

    /** Receives changes that other writers committed. Called on the store's thread; must not block. */
    interface CommittedElsewhere {

        /** Events committed after the last revision delivered, oldest first, each with its record. */
        void committed(List<AuditEvent> events);

        /**
         * The store lost track of single changes (a gap, a compacted history): here is the whole state
         * again, to be taken as it is.
         */
        void reloaded(StoredState state);
    }
}

package io.crossfade.sidecar.rollout;

import java.util.List;

/**
 * The committed state of a migration store.
 *
 * @param revision the last revision (audit sequence number) it includes
 * @param snapshotVersion the snapshot version last checkpointed, 0 when unknown
 * @param migrations every live record the store holds; in a shared store, also migrations that this
 *     sidecar's files do not declare
 * @param tombstones retired migrations whose state is kept for their return (a sidecar's own state
 *     directory; a shared store retires nothing and has none)
 */
public record StoredState(long revision, long snapshotVersion, List<MigrationRecord> migrations,
        List<Tombstone> tombstones) {

    public static final StoredState EMPTY = new StoredState(0, 0, List.of());

    /** A state without tombstones. */
    public StoredState(long revision, long snapshotVersion, List<MigrationRecord> migrations) {
        this(revision, snapshotVersion, migrations, List.of());
    }

    public StoredState {
        migrations = List.copyOf(migrations);
        tombstones = tombstones == null ? List.of() : List.copyOf(tombstones);
    }
}

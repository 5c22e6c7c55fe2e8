package io.crossfade.sidecar.rollout;

import java.util.List;

/**
 * The committed state of a migration store.
 *
 * @param revision the last revision (audit sequence number) it includes
 * @param snapshotVersion the snapshot version last checkpointed, 0 when unknown
 * @param migrations every record the store holds; in a shared store, also migrations that this
 *     sidecar's files do not declare
 */
public record StoredState(long revision, long snapshotVersion, List<MigrationRecord> migrations) {

    public static final StoredState EMPTY = new StoredState(0, 0, List.of());

    public StoredState {
        migrations = List.copyOf(migrations);
    }
}

package io.crossfade.sidecar.state;

import io.crossfade.sidecar.rollout.MigrationRecord;
import io.crossfade.sidecar.rollout.Tombstone;
import java.util.Map;
import java.util.TreeMap;

/**
 * The content of {@code <state>/state.json}.
 *
 * @param format file format version
 * @param lastSeq the audit sequence number of the last change this file includes; audit events
 *     after it are replayed at start (a crash between the audit append and this file's write)
 * @param snapshotVersion the snapshot version when this file was written, so versions keep rising across restarts
 * @param migrations records by setting key
 * @param tombstones retired migrations kept for their return ({@code --retain-retired}), by
 *     migration id; absent in files written before tombstones were kept
 */
public record PersistedState(int format, long lastSeq, long snapshotVersion, Map<String, MigrationRecord> migrations,
        Map<String, Tombstone> tombstones) {

    public static final int FORMAT = 1;

    public static final PersistedState EMPTY = new PersistedState(FORMAT, 0, 0, Map.of(), Map.of());

    public PersistedState {
        migrations = migrations == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(migrations));
        tombstones = tombstones == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(tombstones));
    }
}

package io.crossfade.sidecar.rollout;

import io.crossfade.config.SettingsSnapshot;
import java.util.Map;

/**
 * Everything readers may look at, published as one immutable value so that no reader sees half a
 * change: the snapshot that reads are served from, the durable records behind its migrations, and
 * the source's status.
 */
public record PublishedState(SettingsSnapshot snapshot, Map<String, MigrationRecord> records, SourceStatus source) {

    public PublishedState {
        records = Map.copyOf(records);
    }
}

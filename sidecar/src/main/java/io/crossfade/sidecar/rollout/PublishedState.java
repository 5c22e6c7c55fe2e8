package io.crossfade.sidecar.rollout;

import io.crossfade.config.SettingsSnapshot;
import java.util.Map;
import java.util.Set;

/**
 * Everything readers may look at, published as one immutable value so that no reader sees half a
 * change: the snapshot that reads are served from, the durable records behind its migrations, and
 * the source's status.
 *
 * @param startingPercentEdits keys of running migrations whose file {@code percent:} was edited and
 *     the state does not follow, since the last operator change of each ({@link StartingPercent});
 *     kept in memory only
 */
public record PublishedState(SettingsSnapshot snapshot, Map<String, MigrationRecord> records, SourceStatus source,
        Set<String> startingPercentEdits) {

    public PublishedState {
        records = Map.copyOf(records);
        startingPercentEdits = Set.copyOf(startingPercentEdits);
    }

    /** A state without any unfollowed edit of a starting percent. */
    public PublishedState(SettingsSnapshot snapshot, Map<String, MigrationRecord> records, SourceStatus source) {
        this(snapshot, records, source, Set.of());
    }

    /**
     * The note explaining why the file's percent of {@code key} is not its state's, or null: only
     * after an edit of the file's percent that the state does not follow.
     */
    public String startingPercentNote(String key) {
        if (!startingPercentEdits.contains(key)) {
            return null;
        }
        io.crossfade.config.ActiveMigration m = snapshot.migrations().get(key);
        return m == null ? null : StartingPercent.note(m.spec(), m.status());
    }
}

package io.crossfade.sidecar.rollout;

import java.time.Instant;
import java.util.Objects;

/**
 * A retired migration's last state, kept for a while so that the same migration (same id) coming
 * back into the settings files resumes where operators left it.
 *
 * @param record the record as it was when retired, with its ramp hold clock stopped
 * @param retiredAt when it was retired; it is forgotten {@code --retain-retired} later
 */
public record Tombstone(MigrationRecord record, Instant retiredAt) {

    public Tombstone {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(retiredAt, "retiredAt");
    }
}

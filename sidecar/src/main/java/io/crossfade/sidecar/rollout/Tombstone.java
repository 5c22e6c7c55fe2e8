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

    /**
     * The tombstone of {@code live} retired at {@code at}: its ramp hold clock stops, so that the time
     * it is gone does not count as time held. The one way tombstones are made, by reconciliation and
     * by a store replaying its log alike.
     */
    public static Tombstone of(MigrationRecord live, Instant at) {
        return new Tombstone(live.holdStopped(at), at);
    }

    /** True when its state is kept no longer at {@code now}: {@code retain} has passed since it was retired. */
    public boolean expired(Instant now, java.time.Duration retain) {
        return !retiredAt.plus(retain).isAfter(now);
    }

    /** A retention in words: {@code 7d}, else as settings durations are written ({@code 90s}, {@code 2h}). */
    public static String format(java.time.Duration retain) {
        long ms = retain.toMillis();
        return ms > 0 && ms % 86_400_000 == 0 ? ms / 86_400_000 + "d" : io.crossfade.config.Durations.format(retain);
    }

    /** When it expires under {@code retain}. */
    public Instant expiresAt(java.time.Duration retain) {
        return retiredAt.plus(retain);
    }
}

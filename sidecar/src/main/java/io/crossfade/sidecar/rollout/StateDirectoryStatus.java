package io.crossfade.sidecar.rollout;

import java.time.Instant;
import java.util.List;

/**
 * Whether a sidecar's own state directory takes writes, for {@code /ready}'s {@code stateDirectory}
 * section. While it does not, the sidecar serves what it has (reads are never refused for it),
 * answers operator changes 503 with {@link #problem}, and tries again by itself until a write
 * succeeds.
 *
 * @param writable true when the last write succeeded
 * @param problem why the last write failed, in words ({@code no space left on the state directory's
 *     device (ENOSPC)}, {@code the state directory is read-only (EROFS)}), null while writable
 * @param since when {@code writable} last changed (the start, for a directory that was always fine)
 * @param pendingWrite setting keys whose guard halt or rollback is served but not saved yet, because
 *     the directory refused it; saved by itself once the directory takes writes
 */
public record StateDirectoryStatus(boolean writable, String problem, Instant since, List<String> pendingWrite) {

    public StateDirectoryStatus {
        pendingWrite = List.copyOf(pendingWrite);
    }

    /** With nothing pending. */
    public StateDirectoryStatus(boolean writable, String problem, Instant since) {
        this(writable, problem, since, List.of());
    }
}

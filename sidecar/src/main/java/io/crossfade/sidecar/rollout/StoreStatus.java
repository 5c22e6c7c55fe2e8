package io.crossfade.sidecar.rollout;

import java.time.Instant;
import java.util.List;

/**
 * How a shared store is doing, for {@code /ready}'s {@code store} section and the store metrics. A
 * sidecar's own state directory has none.
 *
 * @param type {@code etcd}
 * @param fleet the fleet's name
 * @param endpoint the endpoint in use
 * @param connected whether the last call to the store succeeded
 * @param since when {@code connected} last changed
 * @param revision the last revision (audit sequence number) this sidecar has seen
 * @param servingFrom where the state being served came from: {@code store}, {@code cache} (the copy
 *     kept in the state directory, while the store has not been reached since start) or {@code files}
 *     (no copy either: the files' starting percents)
 * @param pendingStoreWrite setting keys whose change took effect here but is not in the store yet
 * @param reset the last time the store was found to have lost the fleet's state (empty, or rewound to
 *     an older backup), shown for {@link #RESET_SHOWN} after it; null otherwise
 */
public record StoreStatus(String type, String fleet, String endpoint, boolean connected, Instant since,
        long revision, String servingFrom, List<String> pendingStoreWrite,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        Reset reset) {

    /** How long {@code /ready} and {@code ctl status} name a store reset after it was noticed. */
    public static final java.time.Duration RESET_SHOWN = java.time.Duration.ofMinutes(15);

    /**
     * A store that lost the fleet's state, and how it was restored.
     *
     * @param at when this sidecar noticed it
     * @param cause what showed it, in words (the store's revision against the one held, etcd's cluster id)
     * @param restoredRevision the fleet revision the store was re-seeded with (the newest state a
     *     sidecar held)
     * @param reseededBy the instance whose compare-and-swap re-seeded the store, or null while it is not
     *     re-seeded yet
     */
    public record Reset(Instant at, String cause, long restoredRevision, String reseededBy) {
    }

    public StoreStatus {
        pendingStoreWrite = List.copyOf(pendingStoreWrite);
    }

    /** A status without a reset. */
    public StoreStatus(String type, String fleet, String endpoint, boolean connected, Instant since,
            long revision, String servingFrom, List<String> pendingStoreWrite) {
        this(type, fleet, endpoint, connected, since, revision, servingFrom, pendingStoreWrite, null);
    }
}

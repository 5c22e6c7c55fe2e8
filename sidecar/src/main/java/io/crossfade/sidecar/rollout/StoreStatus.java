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
 */
public record StoreStatus(String type, String fleet, String endpoint, boolean connected, Instant since,
        long revision, String servingFrom, List<String> pendingStoreWrite) {

    public StoreStatus {
        pendingStoreWrite = List.copyOf(pendingStoreWrite);
    }
}

package io.crossfade.sidecar.rollout;

import java.util.Optional;

/**
 * What readers need of the rollout controller: the state being served now and a notice after each
 * publication. Read endpoints depend on this, not on the controller, so they cannot change anything.
 */
public interface Published {

    /** The state being served now (a volatile read); null only before the first publication. */
    PublishedState current();

    /** Tells {@code listener} after each publication, on the controller's thread. */
    void onSnapshot(SnapshotListener listener);

    /** How a shared store is doing; empty for a sidecar's own state directory. */
    Optional<StoreStatus> storeStatus();

    /** Whether a sidecar's own state directory takes writes; empty for a shared store or where unknown. */
    default Optional<StateDirectoryStatus> stateDirectoryStatus() {
        return Optional.empty();
    }
}

package io.crossfade.sidecar.rollout;

import java.util.Set;

/**
 * Told after each publication of a new snapshot, on the rollout controller's thread. Must be quick
 * and must not block: hand work off to your own thread or event loop.
 */
@FunctionalInterface
public interface SnapshotListener {

    /**
     * @param previous the state before, or null for the first publication
     * @param current the state now being served
     * @param changedKeys setting keys whose value, variant split or migration status changed
     */
    void published(PublishedState previous, PublishedState current, Set<String> changedKeys);
}

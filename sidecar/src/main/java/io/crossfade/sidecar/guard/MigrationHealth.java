package io.crossfade.sidecar.guard;

import java.util.Optional;

/**
 * How a migration is doing under the guard and on its ramp, for {@code /ready}, the admin API's
 * migration view ({@code health}), the fleet heartbeat and {@code crossfade ctl}. Supplied by the
 * {@link Guard}; {@link #NONE} where there is none.
 */
@FunctionalInterface
public interface MigrationHealth {

    /** No health information: views show {@code "health": null}. */
    MigrationHealth NONE = key -> Optional.empty();

    /**
     * The guard's view of the migration of {@code key}, or empty when nothing is known (yet). Called on
     * an event loop for every view: must be cheap, must not block, must not throw.
     */
    Optional<GuardView> describe(String key);
}

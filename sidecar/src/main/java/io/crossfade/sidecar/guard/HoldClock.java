package io.crossfade.sidecar.guard;

import io.crossfade.sidecar.rollout.MigrationRecord;
import java.time.Duration;
import java.time.Instant;

/**
 * How long a ramp step has been held: the seam between the ramp's rule ({@link RampStatus}) and
 * the clock that measures holds. {@link #LOCAL} reads the record's wall-clock timestamps with this
 * sidecar's clock; a fleet measures holds with the store's clock instead (see
 * {@code fleet.FleetPool}), so one sidecar's clock running ahead cannot cut a hold short.
 *
 * <p>Contract: any thread, cheap, never blocks on the network.
 */
public interface HoldClock {

    /** The record's own timestamps, on this sidecar's clock. */
    HoldClock LOCAL = (record, hold, now) -> record.held(now);

    /**
     * Running time the current step of {@code record} has been held.
     *
     * @param record the migration's durable state
     * @param hold the step's hold; null on the last step, which has none
     * @param now this sidecar's wall clock, for display and for stores without a clock of their own
     */
    Duration held(MigrationRecord record, Duration hold, Instant now);
}

package io.crossfade.config;

import java.util.Objects;

/**
 * The runtime part of a migration that readers need: the percent operators or the ramp set, and
 * the state. Immutable.
 *
 * @param percent the set percent in thousandths, kept even while rolled back or completed so that
 *     the history stays readable
 * @param state the migration's state
 */
public record MigrationStatus(int percent, MigrationState state) {

    public MigrationStatus {
        Objects.requireNonNull(state, "state");
        if (percent < 0 || percent > Percent.FULL) {
            throw new IllegalArgumentException("percent out of range: " + percent);
        }
    }

    /** The share of units on the new value: 0 when rolled back, 100 % when completed, else {@link #percent()}. */
    public int effectivePercent() {
        switch (state) {
            case ROLLED_BACK: return 0;
            case COMPLETED: return Percent.FULL;
            default: return percent;
        }
    }
}

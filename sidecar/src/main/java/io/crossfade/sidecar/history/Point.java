package io.crossfade.sidecar.history;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * One point of a migration's history.
 *
 * @param time when it was taken
 * @param percent the effective percent then (0 when rolled back, 100 when completed), up to three decimals
 * @param state the migration's state then ({@code running}, {@code paused}, {@code halted},
 *     {@code rolled_back}, {@code completed})
 * @param oldErrorRate the old variant's error rate in the guard's window then, errors / outcomes;
 *     null without outcomes
 * @param newErrorRate the same for the new variant
 */
public record Point(Instant time, BigDecimal percent, String state, Double oldErrorRate, Double newErrorRate) {
}

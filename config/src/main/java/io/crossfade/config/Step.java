package io.crossfade.config;

import java.time.Duration;

/**
 * One step of a migration's ramp.
 *
 * @param percent the percent to hold, in thousandths
 * @param hold how long to hold it before the next step may start; null only on the last step
 */
public record Step(int percent, Duration hold) {
}

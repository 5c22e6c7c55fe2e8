package io.crossfade.sidecar.guard;

/**
 * What one sidecar's guard has counted of one migration since it last started afresh (a resume, a
 * new migration, a restart): published in its fleet heartbeat so that the fleet's judge can pool it.
 * Immutable; serialised by Jackson.
 *
 * @param run identifies this count's start: a new value means the totals started again from zero
 *     (this sidecar restarted, or the migration ran again), never that outcomes were taken back
 * @param total every outcome counted since {@code run} started, per kind and unit group
 * @param window the outcomes in this sidecar's guard window
 */
public record RunCounts(String run, GuardTotals total, WindowCounts window) {
}

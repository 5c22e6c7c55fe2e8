package io.crossfade.sidecar.guard;

/**
 * Where the outcome counts a guard judges come from, and whether this guard may act on its verdicts:
 * the seam between the guard's statistic ({@link Evidence}, {@link TripDecision}, which never know)
 * and a fleet of sidecars that pool their outcomes.
 *
 * <p>{@link #LOCAL}, a sidecar on its own: it judges its own counts and acts on them. A fleet's pool
 * (see {@code fleet.FleetPool}) adds every live instance's published counts of the same migration
 * identity, and lets exactly one sidecar of the fleet, its elected judge, act, so that N sidecars do
 * not give N chances to halt falsely.
 *
 * <p>Contract: all methods may be called from any thread and are cheap (a sum over the fleet's
 * heartbeats at most); they never block on the network.
 */
public interface OutcomePool {

    /** A sidecar on its own: its counts are the counts, and it always judges. */
    OutcomePool LOCAL = new OutcomePool() {
        @Override
        public GuardTotals totals(String migrationId, GuardTotals own) {
            return own;
        }

        @Override
        public WindowCounts window(String migrationId, WindowCounts own) {
            return own;
        }

        @Override
        public boolean judges() {
            return true;
        }
    };

    /**
     * Running totals of every outcome of migration {@code migrationId} the guard may judge: never
     * decreasing from one call to the next (the guard grows its evidence from their differences, so
     * an outcome is judged once, and never taken back when the instance that saw it goes away).
     *
     * @param own this sidecar's running totals of the migration, themselves never decreasing
     */
    GuardTotals totals(String migrationId, GuardTotals own);

    /**
     * The outcomes in the guard window, for the {@code minSamples} and {@code maxRatio} floors and
     * for display: this sidecar's, plus those of the live instances that share the migration.
     *
     * @param own this sidecar's window counts
     */
    WindowCounts window(String migrationId, WindowCounts own);

    /** True when this sidecar's guard commits trips and ramp steps now; false while another one does. */
    boolean judges();

    /** A short phrase for people on where the counts come from and who judges, or null to say nothing. */
    default String describe(String migrationId) {
        return null;
    }
}

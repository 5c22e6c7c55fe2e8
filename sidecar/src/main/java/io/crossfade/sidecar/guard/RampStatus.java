package io.crossfade.sidecar.guard;

import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.Percent;
import io.crossfade.config.Step;
import io.crossfade.sidecar.rollout.MigrationRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a ramped migration stands on its steps, and whether it may take the next one: the pure
 * decision behind {@link StepScheduler}, also shown in {@code /ready}. A step is left only when its
 * {@code hold} has been held (running time, from the persisted record, so restarts and pauses are
 * accounted for), the guard is {@link GuardStatus#HEALTHY healthy}, and at least {@code minSamples}
 * new-variant outcomes arrived during the hold: no data, no promotion. Immutable.
 *
 * @param phase where the ramp stands
 * @param step the step being held, counted from 1 as people do ("step 2 of 4")
 * @param steps number of steps
 * @param percent the step's percent, in thousandths
 * @param hold the step's hold; null on the last step
 * @param held running time held so far
 * @param samples new-variant outcomes seen during this hold
 * @param minSamples outcomes the hold needs ({@code guard.minSamples})
 * @param message a sentence for people saying what happens next, or why not
 */
public record RampStatus(Phase phase, int step, int steps, int percent, Duration hold, Duration held, long samples,
        int minSamples, String message) {

    /** Where a ramp stands. */
    public enum Phase {
        /** Holding a step; its hold has not passed yet. */
        HOLDING,
        /** The hold has passed, but the step is extended: too few samples, or the guard is not healthy. */
        EXTENDED,
        /** Everything holds: the next step is due now. */
        READY,
        /** On the last step: nothing more to climb; an operator completes the migration. */
        LAST_STEP,
        /** The hold clock is stopped while the migration is paused or halted. */
        STOPPED,
        /** An operator set the percent by hand; {@code resume} puts it back on the ramp. */
        OFF_RAMP,
        /** Rolled back or completed: the ramp is over. */
        OVER;

        /** Lower-case name used in JSON. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public RampStatus {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(held, "held");
        Objects.requireNonNull(message, "message");
    }

    /** How much of the hold is left (zero once it has passed or on the last step). */
    public Duration remaining() {
        if (hold == null || held.compareTo(hold) >= 0) {
            return Duration.ZERO;
        }
        return hold.minus(held);
    }

    /**
     * Assesses a migration that has steps.
     *
     * @param spec the migration as declared; must have steps
     * @param record its durable state
     * @param samples new-variant outcomes counted during the current hold
     * @param guard the guard's status
     * @param guardMessage the guard's explanation of its status, quoted when it blocks the ramp
     * @param now the wall-clock time
     * @throws IllegalArgumentException when the migration has no steps
     */
    public static RampStatus assess(MigrationSpec spec, MigrationRecord record, long samples, GuardStatus guard,
            String guardMessage, Instant now) {
        return assess(spec, record, record.held(now), samples, guard, guardMessage);
    }

    /**
     * As {@link #assess(MigrationSpec, MigrationRecord, long, GuardStatus, String, Instant)}, with the
     * time held measured elsewhere (a {@link HoldClock}: in a fleet, the store's clock).
     *
     * @param held running time the current step has been held
     */
    public static RampStatus assess(MigrationSpec spec, MigrationRecord record, Duration held, long samples,
            GuardStatus guard, String guardMessage) {
        List<Step> all = spec.steps();
        if (all.isEmpty()) {
            throw new IllegalArgumentException(spec.key() + " has no steps");
        }
        Objects.requireNonNull(held, "held");
        int index = Math.max(0, Math.min(record.stepIndex(), all.size() - 1));
        Step step = all.get(index);
        int minSamples = spec.guard().minSamples();
        String where = "step " + (index + 1) + " of " + all.size() + " (" + Percent.format(step.percent()) + " %)";
        MigrationState state = record.state();
        if (state == MigrationState.ROLLED_BACK || state == MigrationState.COMPLETED) {
            return new RampStatus(Phase.OVER, index + 1, all.size(), step.percent(), step.hold(), held, samples,
                    minSamples, "the ramp is over: the migration is " + state.wireName());
        }
        if (record.manual()) {
            return new RampStatus(Phase.OFF_RAMP, index + 1, all.size(), step.percent(), step.hold(), held, samples,
                    minSamples, "off the ramp at " + Percent.format(record.percent())
                    + " % since an operator set the percent; resume puts it back on the ramp");
        }
        if (state != MigrationState.RUNNING) {
            return new RampStatus(Phase.STOPPED, index + 1, all.size(), step.percent(), step.hold(), held, samples,
                    minSamples, "the hold clock is stopped while the migration is " + state.wireName() + ": " + where
                    + " held " + format(held) + (step.hold() == null ? "" : " of " + format(step.hold())));
        }
        if (index == all.size() - 1) {
            return new RampStatus(Phase.LAST_STEP, index + 1, all.size(), step.percent(), null, held, samples,
                    minSamples, "at the last step, " + where + (step.percent() == Percent.FULL
                    ? ": complete the migration when satisfied" : ": the ramp climbs no further"));
        }
        String seen = samples + " of " + minSamples + " new-variant outcomes seen";
        if (held.compareTo(step.hold()) < 0) {
            return new RampStatus(Phase.HOLDING, index + 1, all.size(), step.percent(), step.hold(), held, samples,
                    minSamples, "holding " + where + ": " + format(held) + " of " + format(step.hold()) + " held, "
                    + seen);
        }
        String past = "holding " + where + " past its " + format(step.hold()) + " hold: ";
        if (!climbs(step, false, held, samples, minSamples, guard) && samples < minSamples) {
            return new RampStatus(Phase.EXTENDED, index + 1, all.size(), step.percent(), step.hold(), held, samples,
                    minSamples, past + seen);
        }
        if (guard != GuardStatus.HEALTHY) {
            return new RampStatus(Phase.EXTENDED, index + 1, all.size(), step.percent(), step.hold(), held, samples,
                    minSamples, past + "the guard is " + guard.wireName().replace('_', ' ')
                    + (guardMessage == null ? "" : " (" + guardMessage + ")"));
        }
        Step next = all.get(index + 1);
        return new RampStatus(Phase.READY, index + 1, all.size(), step.percent(), step.hold(), held, samples,
                minSamples, where + " held " + format(step.hold()) + " with " + samples
                + " new-variant outcomes and a healthy guard: advancing to step " + (index + 2) + " ("
                + Percent.format(next.percent()) + " %)");
    }

    /**
     * The ramp's rule for a running migration on its ramp: a step climbs to the next once its hold
     * has passed, with at least {@code minSamples} new-variant outcomes during the hold, while the
     * guard is healthy (it could judge, and found nothing). The last step never climbs. What
     * {@link #assess} and the simulator both decide by.
     */
    static boolean climbs(Step step, boolean last, Duration held, long samples, int minSamples, GuardStatus guard) {
        return !last && step.hold() != null && held.compareTo(step.hold()) >= 0 && samples >= minSamples
                && guard == GuardStatus.HEALTHY;
    }

    /** {@code 850ms}, {@code 4.2s}, {@code 3m12s}, {@code 1h05m}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        if (ms < 60_000) {
            long tenths = ms / 100;
            return tenths % 10 == 0 ? tenths / 10 + "s" : String.format(Locale.ROOT, "%.1fs", tenths / 10.0);
        }
        long s = ms / 1000;
        if (s < 3600) {
            return s % 60 == 0 ? s / 60 + "m" : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        long m = s / 60;
        return m % 60 == 0 ? m / 60 + "h" : String.format(Locale.ROOT, "%dh%02dm", m / 60, m % 60);
    }
}

package io.crossfade.sidecar.guard;

/**
 * How a migration's {@link GuardStatus} moves, as a pure function of the status and what just
 * happened; the guard's thread applies it, tests check it by table.
 *
 * <pre>
 *   RAN_AGAIN ─▶ WAITING_FOR_SAMPLES ⇄ HEALTHY ─ TRIP_ASKED ─▶ TRIPPING ─ TRIP_DURABLE ─▶ TRIPPED
 *                        ▲                                        │ TRIP_REFUSED
 *                        └────────────────────────────────────────┘
 *   STOPPED_BY_GUARD ─▶ TRIPPED; STOPPED_BY_OTHER ─▶ IDLE (unless a trip is on its way).
 * </pre>
 */
public final class GuardStatusMachine {

    /** What can happen to a migration's guard. */
    public enum Event {
        /** A look found no trip and fewer than {@code minSamples} new-variant outcomes in the window. */
        JUDGED_WAITING,
        /** A look found no trip with enough outcomes. */
        JUDGED_HEALTHY,
        /** A look tripped; the halt or rollback was asked for. */
        TRIP_ASKED,
        /** The controller made the guard's halt or rollback durable. */
        TRIP_DURABLE,
        /** The controller refused the guard's change while the migration still runs: decide again. */
        TRIP_REFUSED,
        /** The migration (re)started running: a resume, or a percent set after a rollback. */
        RAN_AGAIN,
        /** The migration's record says the guard halted or rolled it back (e.g. found after a restart). */
        STOPPED_BY_GUARD,
        /** Paused, halted or rolled back by an operator, or completed. */
        STOPPED_BY_OTHER
    }

    private GuardStatusMachine() {
    }

    /** The status after {@code event}. */
    public static GuardStatus next(GuardStatus current, Event event) {
        switch (event) {
            case JUDGED_WAITING:
            case JUDGED_HEALTHY:
                // a look's verdict only moves a watch that is actually watching
                if (current == GuardStatus.WAITING_FOR_SAMPLES || current == GuardStatus.HEALTHY) {
                    return event == Event.JUDGED_WAITING ? GuardStatus.WAITING_FOR_SAMPLES : GuardStatus.HEALTHY;
                }
                return current;
            case TRIP_ASKED:
                return current == GuardStatus.WAITING_FOR_SAMPLES || current == GuardStatus.HEALTHY
                        ? GuardStatus.TRIPPING : current;
            case TRIP_DURABLE:
            case STOPPED_BY_GUARD:
                return GuardStatus.TRIPPED;
            case TRIP_REFUSED:
                return current == GuardStatus.TRIPPING ? GuardStatus.WAITING_FOR_SAMPLES : current;
            case RAN_AGAIN:
                return GuardStatus.WAITING_FOR_SAMPLES;
            case STOPPED_BY_OTHER:
                return current == GuardStatus.TRIPPING ? current : GuardStatus.IDLE;
            default:
                throw new IllegalArgumentException("unknown event " + event);
        }
    }

    /** True while the guard judges the migration's outcomes. */
    public static boolean watching(GuardStatus status) {
        return status == GuardStatus.WAITING_FOR_SAMPLES || status == GuardStatus.HEALTHY;
    }
}

package io.crossfade.sidecar.guard;

import io.crossfade.config.ActiveMigration;
import io.crossfade.config.MigrationSpec;
import io.crossfade.sidecar.rollout.Change;
import io.crossfade.sidecar.rollout.PublishedState;
import io.crossfade.sidecar.rollout.RolloutController;
import io.crossfade.sidecar.rollout.MigrationRecord;
import java.time.Instant;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Climbs ramped migrations: on each tick of the guard's thread, right after the guard has judged
 * the latest outcomes, asks the rollout controller to {@link Change.AdvanceStep advance} every
 * migration whose {@link RampStatus} is {@link RampStatus.Phase#READY READY} (actor {@value #ACTOR}).
 *
 * <p>The ramp position lives in the durable record (step, hold start, time held), so a restart
 * continues the hold where it was. The new-variant outcomes of a hold are counted in memory only:
 * after a restart the step needs {@code minSamples} fresh ones before it may advance, even if its
 * hold passed meanwhile. That can lengthen a step, never promote one without data.
 *
 * <p>In a fleet only the judge ticks (see {@link Guard}), so a step is asked for once for the whole
 * fleet, and the change itself is a compare-and-swap on the step ({@link Change.AdvanceStep} names
 * the step it leaves; the store commits it only on the revision it was decided on). How long a step
 * has been held comes from a {@link HoldClock}: the store's clock in a fleet.
 *
 * <p>Runs on the guard's thread only; never blocks it (the controller's future completes elsewhere).
 */
public final class StepScheduler {

    /** The audit actor of ramp steps. */
    public static final String ACTOR = "ramp";

    private static final Logger LOG = LoggerFactory.getLogger(StepScheduler.class);

    private final RolloutController controller;
    private final Watches watches;
    private final Executor guardThread;
    private final HoldClock holds;

    StepScheduler(RolloutController controller, Watches watches, Executor guardThread, HoldClock holds) {
        this.controller = controller;
        this.watches = watches;
        this.guardThread = guardThread;
        this.holds = holds;
    }

    /** How long {@code record}'s current step of {@code spec} has been held, by {@code holds}. */
    static java.time.Duration held(HoldClock holds, MigrationSpec spec, MigrationRecord record, Instant now) {
        int index = Math.max(0, Math.min(record.stepIndex(), spec.steps().size() - 1));
        return holds.held(record, spec.steps().isEmpty() ? null : spec.steps().get(index).hold(), now);
    }

    /** Advances every migration that is ready to; called on the guard's thread. */
    void tick(PublishedState state, Instant now) {
        for (ActiveMigration m : state.snapshot().migrations().values()) {
            MigrationSpec spec = m.spec();
            MigrationRecord record = state.records().get(spec.key());
            MigrationWatch watch = watches.get(spec.key());
            if (!spec.hasSteps() || record == null || watch == null || !watch.migrationId.equals(m.id())
                    || watch.stepRequested) {
                continue;
            }
            Verdict verdict = watch.lastVerdict();
            RampStatus ramp = RampStatus.assess(spec, record, held(holds, spec, record, now), watch.holdSamples(),
                    watch.status, verdict == null ? null : verdict.explanation());
            if (ramp.phase() != RampStatus.Phase.READY) {
                continue;
            }
            watch.stepRequested = true;
            int from = record.stepIndex();
            controller.change(spec.key(), new Change.AdvanceStep(from), ACTOR, ramp.message(), null)
                    .whenComplete((r, error) -> guardThread.execute(() -> {
                        watch.stepRequested = false;
                        if (error != null) {
                            // e.g. an operator paused it meanwhile; the next tick looks again
                            LOG.info("ramp of {} did not advance from step {}: {}", spec.key(), from + 1,
                                    error.getMessage());
                        }
                    }));
        }
    }
}

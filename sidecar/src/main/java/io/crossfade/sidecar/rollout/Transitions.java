package io.crossfade.sidecar.rollout;

import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.Percent;
import io.crossfade.config.Step;
import io.crossfade.sidecar.rollout.ChangeRefusedException.Reason;
import java.time.Instant;
import java.util.List;

/**
 * The migration state machine, as pure functions: given a record, its spec and a change, the
 * record after it, or a {@link ChangeRefusedException} saying why not. No I/O, no clock of its own.
 */
public final class Transitions {

    private Transitions() {
    }

    /** The record of a migration seen for the first time. */
    public static MigrationRecord created(MigrationSpec spec, Instant now) {
        List<Step> steps = spec.steps();
        int percent = spec.initialPercent();
        int stepIndex = -1;
        if (!steps.isEmpty()) {
            // A ramp starts at its first step unless the file names a starting percent; then it holds
            // the highest step at or below that percent and climbs from there.
            if (percent == 0) {
                percent = steps.get(0).percent();
            }
            stepIndex = rampPositionFor(steps, percent);
        }
        return new MigrationRecord(spec.id(), spec.key(), percent, MigrationState.RUNNING, 0, false, stepIndex,
                stepIndex >= 0 ? now : null, 0, null, now, now, null, List.of(), List.of());
    }

    /** The index of the highest step at or below {@code percent}; 0 when all steps are above it. */
    static int rampPositionFor(List<Step> steps, int percent) {
        int position = 0;
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).percent() <= percent) {
                position = i;
            }
        }
        return position;
    }

    /**
     * Applies {@code change} to {@code current}.
     *
     * @throws ChangeRefusedException with {@link Reason#CONFLICT} and an explanation when the state
     *     machine does not allow it
     */
    public static MigrationRecord apply(MigrationRecord current, MigrationSpec spec, Change change, Instant now) {
        MigrationState state = current.state();
        String key = current.key();
        if (change instanceof Change.SetPercent set) {
            if (state == MigrationState.COMPLETED) {
                throw conflict(key + " is completed: everyone reads the new value. Update the settings file, "
                        + "or roll back first to start over");
            }
            MigrationState next = state == MigrationState.ROLLED_BACK ? MigrationState.RUNNING : state;
            MigrationRecord r = current.holdStopped(now).with(set.percent(), next);
            // A manual percent takes a ramped migration off its ramp until an operator resumes it.
            return spec.hasSteps() ? r.withRamp(true, r.stepIndex(), null, r.heldMillis()) : r;
        }
        if (change instanceof Change.Pause) {
            if (state != MigrationState.RUNNING) {
                throw conflict(key + " is " + state.wireName() + "; only a running migration can be paused");
            }
            return current.holdStopped(now).with(current.percent(), MigrationState.PAUSED);
        }
        if (change instanceof Change.Resume) {
            boolean offRamp = state == MigrationState.RUNNING && current.manual() && spec.hasSteps();
            if (state != MigrationState.PAUSED && state != MigrationState.HALTED && !offRamp) {
                throw conflict(resumeRefusal(key, state));
            }
            MigrationRecord r = current.with(current.percent(), MigrationState.RUNNING);
            if (spec.hasSteps() && r.manual()) {
                // Back on the ramp from wherever the operator left the percent, with a fresh hold.
                r = r.withRamp(false, rampPositionFor(spec.steps(), r.percent()), null, 0);
            }
            return r.holdRunning(now);
        }
        if (change instanceof Change.Rollback) {
            if (state == MigrationState.ROLLED_BACK) {
                throw conflict(key + " is already rolled back: everyone reads the old value");
            }
            return current.holdStopped(now).with(0, MigrationState.ROLLED_BACK);
        }
        if (change instanceof Change.Complete) {
            if (state == MigrationState.COMPLETED) {
                throw conflict(key + " is already completed");
            }
            if (state != MigrationState.RUNNING && state != MigrationState.PAUSED) {
                throw conflict(key + " is " + state.wireName() + "; resume it and set 100 before completing");
            }
            if (current.percent() != Percent.FULL) {
                throw conflict(key + " is at " + Percent.format(current.percent())
                        + " %; complete needs 100 % (set 100 first)");
            }
            return current.holdStopped(now).with(Percent.FULL, MigrationState.COMPLETED);
        }
        if (change instanceof Change.Halt) {
            if (state != MigrationState.RUNNING) {
                throw conflict(key + " is " + state.wireName() + "; only a running migration can be halted");
            }
            return current.holdStopped(now).with(current.percent(), MigrationState.HALTED);
        }
        if (change instanceof Change.AdvanceStep advance) {
            if (state != MigrationState.RUNNING || current.manual() || current.stepIndex() != advance.fromStep()
                    || advance.fromStep() + 1 >= spec.steps().size()) {
                throw conflict(key + " is not holding step " + (advance.fromStep() + 1) + " of its ramp");
            }
            int next = advance.fromStep() + 1;
            return current.with(spec.steps().get(next).percent(), MigrationState.RUNNING)
                    .withRamp(false, next, now, 0);
        }
        if (change instanceof Change.Cohort cohort) {
            return cohortChanged(current, cohort);
        }
        throw new IllegalArgumentException("unknown change " + change);
    }

    /**
     * An operator's list edited. Allowed in every state (the lists apply while the migration blends,
     * and are kept across pause, halt and rollback). Refused when it would change nothing, so that a
     * typo is not audited as a change, and beyond {@link MigrationRecord#MAX_OPERATOR_UNITS}.
     */
    private static MigrationRecord cohortChanged(MigrationRecord current, Change.Cohort change) {
        Change.CohortOp op = change.op();
        java.util.TreeSet<String> list = new java.util.TreeSet<>(op.includeList() ? current.operatorInclude()
                : current.operatorExclude());
        String name = op.includeList() ? "include" : "exclude";
        java.util.List<String> unchanged = new java.util.ArrayList<>();
        for (String unit : change.units()) {
            if (op.adds() ? !list.add(unit) : !list.remove(unit)) {
                unchanged.add(unit);
            }
        }
        if (unchanged.size() == change.units().size()) {
            throw conflict(current.key() + ": " + String.join(", ", unchanged) + (op.adds() ? " already in" : " not in")
                    + " the operator's " + name + " list; nothing to change");
        }
        if (list.size() > MigrationRecord.MAX_OPERATOR_UNITS) {
            throw conflict(current.key() + ": the operator's " + name + " list would hold " + list.size()
                    + " units, over the limit of " + MigrationRecord.MAX_OPERATOR_UNITS
                    + "; declare a cohort in the settings files (a cohort file holds up to 100 000)");
        }
        return op.includeList() ? current.withOperatorLists(list, current.operatorExclude())
                : current.withOperatorLists(current.operatorInclude(), list);
    }

    private static String resumeRefusal(String key, MigrationState state) {
        switch (state) {
            case RUNNING: return key + " is already running";
            case ROLLED_BACK: return key + " is rolled back; set a percent to start it again";
            case COMPLETED: return key + " is completed; there is nothing to resume";
            default: return key + " is " + state.wireName() + " and cannot be resumed";
        }
    }

    private static ChangeRefusedException conflict(String message) {
        return new ChangeRefusedException(Reason.CONFLICT, message);
    }

    /**
     * Brings a kept record in line with an edited spec (same identity, e.g. new steps): a ramp
     * position past the new last step is clamped, and a migration that lost its steps leaves the ramp.
     */
    public static MigrationRecord reconciled(MigrationRecord record, MigrationSpec spec, Instant now) {
        if (!spec.hasSteps()) {
            return record.stepIndex() < 0 ? record : record.withRamp(false, -1, null, 0);
        }
        if (record.stepIndex() < 0 || record.stepIndex() >= spec.steps().size()) {
            MigrationRecord r = record.withRamp(record.manual(), rampPositionFor(spec.steps(), record.percent()), null, 0);
            return r.state() == MigrationState.RUNNING ? r.holdRunning(now) : r;
        }
        return record;
    }
}

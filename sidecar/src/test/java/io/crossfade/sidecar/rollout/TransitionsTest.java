package io.crossfade.sidecar.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.IntNode;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.Step;
import io.crossfade.sidecar.rollout.ChangeRefusedException.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TransitionsTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private static final Instant T1 = T0.plusSeconds(60);

    private static final MigrationSpec PLAIN = spec(5_000, List.of());
    private static final MigrationSpec RAMPED = spec(0, List.of(new Step(1_000, Duration.ofMinutes(5)),
            new Step(10_000, Duration.ofMinutes(10)), new Step(50_000, Duration.ofMinutes(10)), new Step(100_000, null)));

    private static MigrationSpec spec(int percent, List<Step> steps) {
        return new MigrationSpec("db.pool.size", IntNode.valueOf(10), IntNode.valueOf(20), "db.pool.size", percent,
                "alice", null, null, GuardSpec.DEFAULT, steps, "test.yaml");
    }

    private static MigrationRecord at(MigrationSpec spec, int percent, MigrationState state) {
        return Transitions.created(spec, T0).with(percent, state);
    }

    // --- creation ---

    @Test
    void aNewMigrationRunsAtTheFilesStartingPercent() {
        MigrationRecord r = Transitions.created(PLAIN, T0);
        assertThat(r.percent()).isEqualTo(5_000);
        assertThat(r.state()).isEqualTo(MigrationState.RUNNING);
        assertThat(r.stepIndex()).isEqualTo(-1);
        assertThat(r.holdStartedAt()).isNull();
        assertThat(r.createdAt()).isEqualTo(T0);
    }

    @Test
    void aNewRampStartsAtItsFirstStepWithTheHoldClockRunning() {
        MigrationRecord r = Transitions.created(RAMPED, T0);
        assertThat(r.percent()).isEqualTo(1_000);
        assertThat(r.stepIndex()).isZero();
        assertThat(r.holdStartedAt()).isEqualTo(T0);
        assertThat(r.manual()).isFalse();
    }

    @Test
    void aRampWithAStartingPercentHoldsTheHighestStepAtOrBelowIt() {
        MigrationRecord r = Transitions.created(spec(25_000, RAMPED.steps()), T0);
        assertThat(r.percent()).isEqualTo(25_000);
        assertThat(r.stepIndex()).isEqualTo(1);
    }

    // --- allowed transitions, one per (state, change) ---

    static Stream<Arguments> allowed() {
        return Stream.of(
                Arguments.of(MigrationState.RUNNING, new Change.SetPercent(25_000), 25_000, MigrationState.RUNNING),
                Arguments.of(MigrationState.PAUSED, new Change.SetPercent(25_000), 25_000, MigrationState.PAUSED),
                Arguments.of(MigrationState.HALTED, new Change.SetPercent(1_000), 1_000, MigrationState.HALTED),
                Arguments.of(MigrationState.ROLLED_BACK, new Change.SetPercent(1_000), 1_000, MigrationState.RUNNING),
                Arguments.of(MigrationState.RUNNING, new Change.Pause(), 5_000, MigrationState.PAUSED),
                Arguments.of(MigrationState.PAUSED, new Change.Resume(), 5_000, MigrationState.RUNNING),
                Arguments.of(MigrationState.HALTED, new Change.Resume(), 5_000, MigrationState.RUNNING),
                Arguments.of(MigrationState.RUNNING, new Change.Rollback(), 0, MigrationState.ROLLED_BACK),
                Arguments.of(MigrationState.PAUSED, new Change.Rollback(), 0, MigrationState.ROLLED_BACK),
                Arguments.of(MigrationState.HALTED, new Change.Rollback(), 0, MigrationState.ROLLED_BACK),
                Arguments.of(MigrationState.COMPLETED, new Change.Rollback(), 0, MigrationState.ROLLED_BACK),
                Arguments.of(MigrationState.RUNNING, new Change.Halt(), 5_000, MigrationState.HALTED));
    }

    @ParameterizedTest(name = "{0} + {1} -> {2} {3}")
    @MethodSource("allowed")
    void allowedTransitionsGiveTheNextPercentAndState(MigrationState from, Change change, int percent,
            MigrationState to) {
        MigrationRecord after = Transitions.apply(at(PLAIN, 5_000, from), PLAIN, change, T1);
        assertThat(after.percent()).isEqualTo(percent);
        assertThat(after.state()).isEqualTo(to);
        assertThat(after.id()).isEqualTo(PLAIN.id());
    }

    @Test
    void completeAtFullPercentFromRunningOrPausedPutsEveryoneOnTheNewValue() {
        for (MigrationState from : List.of(MigrationState.RUNNING, MigrationState.PAUSED)) {
            MigrationRecord after = Transitions.apply(at(PLAIN, 100_000, from), PLAIN, new Change.Complete(), T1);
            assertThat(after.state()).isEqualTo(MigrationState.COMPLETED);
            assertThat(after.status().effectivePercent()).isEqualTo(100_000);
        }
    }

    // --- refusals, each with its sentence ---

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of(MigrationState.COMPLETED, 100_000, new Change.SetPercent(50_000), "is completed"),
                Arguments.of(MigrationState.PAUSED, 5_000, new Change.Pause(), "only a running migration can be paused"),
                Arguments.of(MigrationState.HALTED, 5_000, new Change.Pause(), "only a running migration can be paused"),
                Arguments.of(MigrationState.ROLLED_BACK, 0, new Change.Pause(), "only a running migration can be paused"),
                Arguments.of(MigrationState.COMPLETED, 100_000, new Change.Pause(), "only a running migration can be paused"),
                Arguments.of(MigrationState.RUNNING, 5_000, new Change.Resume(), "is already running"),
                Arguments.of(MigrationState.ROLLED_BACK, 0, new Change.Resume(), "set a percent to start it again"),
                Arguments.of(MigrationState.COMPLETED, 100_000, new Change.Resume(), "nothing to resume"),
                Arguments.of(MigrationState.ROLLED_BACK, 0, new Change.Rollback(), "already rolled back"),
                Arguments.of(MigrationState.RUNNING, 50_000, new Change.Complete(), "complete needs 100 %"),
                Arguments.of(MigrationState.PAUSED, 99_999, new Change.Complete(), "complete needs 100 %"),
                Arguments.of(MigrationState.HALTED, 100_000, new Change.Complete(), "resume it and set 100"),
                Arguments.of(MigrationState.ROLLED_BACK, 0, new Change.Complete(), "resume it and set 100"),
                Arguments.of(MigrationState.COMPLETED, 100_000, new Change.Complete(), "already completed"),
                Arguments.of(MigrationState.PAUSED, 5_000, new Change.Halt(), "only a running migration can be halted"),
                Arguments.of(MigrationState.HALTED, 5_000, new Change.Halt(), "only a running migration can be halted"),
                Arguments.of(MigrationState.ROLLED_BACK, 0, new Change.Halt(), "only a running migration can be halted"),
                Arguments.of(MigrationState.COMPLETED, 100_000, new Change.Halt(), "only a running migration can be halted"),
                Arguments.of(MigrationState.RUNNING, 5_000, new Change.AdvanceStep(-1), "not holding step"));
    }

    @ParameterizedTest(name = "{0} at {1} + {2} is refused: {3}")
    @MethodSource("refused")
    void impossibleTransitionsAreRefusedAsConflictsWithASentence(MigrationState from, int percent, Change change,
            String sentence) {
        MigrationRecord before = at(PLAIN, percent, from);
        assertThatThrownBy(() -> Transitions.apply(before, PLAIN, change, T1))
                .isInstanceOfSatisfying(ChangeRefusedException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.CONFLICT);
                    assertThat(e.getMessage()).startsWith("db.pool.size").contains(sentence);
                });
    }

    @Test
    void aPercentOutsideZeroToHundredCannotEvenBeAsked() {
        assertThatThrownBy(() -> new Change.SetPercent(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Change.SetPercent(100_001)).isInstanceOf(IllegalArgumentException.class);
    }

    // --- the ramp ---

    @Test
    void theRampAdvancesOneStepAtATimeWithAFreshHold() {
        MigrationRecord r = Transitions.created(RAMPED, T0);
        MigrationRecord next = Transitions.apply(r, RAMPED, new Change.AdvanceStep(0), T1);
        assertThat(next.stepIndex()).isEqualTo(1);
        assertThat(next.percent()).isEqualTo(10_000);
        assertThat(next.holdStartedAt()).isEqualTo(T1);
        assertThat(next.heldMillis()).isZero();
    }

    @Test
    void theRampRefusesAStaleStepAndStopsAtItsLastStep() {
        MigrationRecord r = Transitions.created(RAMPED, T0);
        assertThatThrownBy(() -> Transitions.apply(r, RAMPED, new Change.AdvanceStep(1), T1))
                .isInstanceOf(ChangeRefusedException.class).hasMessageContaining("not holding step 2");
        MigrationRecord last = r.withRamp(false, 3, T0, 0).with(100_000, MigrationState.RUNNING);
        assertThatThrownBy(() -> Transitions.apply(last, RAMPED, new Change.AdvanceStep(3), T1))
                .isInstanceOf(ChangeRefusedException.class);
    }

    @Test
    void theRampDoesNotAdvanceWhilePausedHaltedOrOffRamp() {
        MigrationRecord r = Transitions.created(RAMPED, T0);
        MigrationRecord paused = Transitions.apply(r, RAMPED, new Change.Pause(), T1);
        MigrationRecord halted = Transitions.apply(r, RAMPED, new Change.Halt(), T1);
        MigrationRecord manual = Transitions.apply(r, RAMPED, new Change.SetPercent(30_000), T1);
        for (MigrationRecord stopped : List.of(paused, halted, manual)) {
            assertThatThrownBy(() -> Transitions.apply(stopped, RAMPED, new Change.AdvanceStep(0), T1))
                    .isInstanceOf(ChangeRefusedException.class);
        }
    }

    @Test
    void pausingStopsTheHoldClockAndResumingContinuesIt() {
        MigrationRecord r = Transitions.created(RAMPED, T0);
        MigrationRecord paused = Transitions.apply(r, RAMPED, new Change.Pause(), T0.plusSeconds(100));
        assertThat(paused.holdStartedAt()).isNull();
        assertThat(paused.heldMillis()).isEqualTo(100_000);
        Instant later = T0.plusSeconds(1000);
        MigrationRecord resumed = Transitions.apply(paused, RAMPED, new Change.Resume(), later);
        assertThat(resumed.holdStartedAt()).isEqualTo(later);
        assertThat(resumed.held(later.plusSeconds(20))).isEqualTo(Duration.ofSeconds(120));
    }

    @Test
    void aManualPercentTakesARampOffItAndResumePutsItBackWhereThePercentIs() {
        MigrationRecord r = Transitions.created(RAMPED, T0);
        MigrationRecord manual = Transitions.apply(r, RAMPED, new Change.SetPercent(30_000), T1);
        assertThat(manual.manual()).isTrue();
        assertThat(manual.holdStartedAt()).isNull();
        assertThat(manual.state()).isEqualTo(MigrationState.RUNNING);

        MigrationRecord back = Transitions.apply(manual, RAMPED, new Change.Resume(), T1.plusSeconds(5));
        assertThat(back.manual()).isFalse();
        assertThat(back.percent()).isEqualTo(30_000);
        assertThat(back.stepIndex()).isEqualTo(1); // 10 % is the highest step at or below 30 %
        assertThat(back.holdStartedAt()).isEqualTo(T1.plusSeconds(5));
        assertThat(back.heldMillis()).isZero();
    }

    @Test
    void aManualPercentOnAMigrationWithoutStepsIsNotManual() {
        MigrationRecord after = Transitions.apply(Transitions.created(PLAIN, T0), PLAIN, new Change.SetPercent(1), T1);
        assertThat(after.manual()).isFalse();
        assertThatThrownBy(() -> Transitions.apply(after, PLAIN, new Change.Resume(), T1))
                .isInstanceOf(ChangeRefusedException.class).hasMessageContaining("already running");
    }

    // --- reconciling with edited steps ---

    @Test
    void reconcilingClampsARampPositionPastTheNewLastStepAndDropsTheRampWithTheSteps() {
        MigrationRecord atStep3 = Transitions.created(RAMPED, T0).withRamp(false, 3, T0, 0).with(100_000,
                MigrationState.RUNNING);
        MigrationSpec shorter = spec(0, RAMPED.steps().subList(0, 2));
        MigrationRecord clamped = Transitions.reconciled(atStep3, shorter, T1);
        assertThat(clamped.stepIndex()).isEqualTo(1);
        assertThat(clamped.holdStartedAt()).isEqualTo(T1);

        MigrationRecord noSteps = Transitions.reconciled(atStep3, PLAIN, T1);
        assertThat(noSteps.stepIndex()).isEqualTo(-1);
        assertThat(noSteps.holdStartedAt()).isNull();
        assertThat(Transitions.reconciled(noSteps, PLAIN, T1)).isSameAs(noSteps);
    }
}

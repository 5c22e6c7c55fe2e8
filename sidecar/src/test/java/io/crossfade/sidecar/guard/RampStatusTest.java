package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.IntNode;
import io.crossfade.config.GuardAction;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.Step;
import io.crossfade.sidecar.rollout.MigrationRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RampStatusTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final MigrationSpec SPEC = new MigrationSpec("db.pool.size", IntNode.valueOf(10), IntNode.valueOf(20),
            "db.pool.size", 0, null, null, null,
            new GuardSpec(0.05, 2.0, 200, Duration.ofSeconds(60), 0.99, GuardAction.HALT),
            List.of(new Step(1_000, Duration.ofMinutes(5)), new Step(10_000, Duration.ofMinutes(10)),
                    new Step(50_000, Duration.ofMinutes(10)), new Step(100_000, null)), "test.yaml");

    /** Holding step {@code index} since T0 with the clock running. */
    private static MigrationRecord holding(int index) {
        return new MigrationRecord("id", "db.pool.size", SPEC.steps().get(index).percent(), MigrationState.RUNNING, 1,
                false, index, T0, 0, null, T0, T0, null, null, null);
    }

    @Test
    void holdsUntilTheHoldHasPassed() {
        RampStatus s = RampStatus.assess(SPEC, holding(1), 500, GuardStatus.HEALTHY, "ok", T0.plusSeconds(192));
        assertThat(s.phase()).isEqualTo(RampStatus.Phase.HOLDING);
        assertThat(s.remaining()).isEqualTo(Duration.ofSeconds(408));
        assertThat(s.message()).isEqualTo("holding step 2 of 4 (10 %): 3m12s of 10m held, 500 of 200 new-variant outcomes seen");
    }

    @Test
    void advancesOnceHeldWithEnoughSamplesAndAHealthyGuard() {
        RampStatus s = RampStatus.assess(SPEC, holding(1), 200, GuardStatus.HEALTHY, "ok", T0.plus(Duration.ofMinutes(10)));
        assertThat(s.phase()).isEqualTo(RampStatus.Phase.READY);
        assertThat(s.message()).isEqualTo("step 2 of 4 (10 %) held 10m with 200 new-variant outcomes and a healthy guard: "
                + "advancing to step 3 (50 %)");
    }

    @Test
    void noDataNoPromotion() {
        RampStatus s = RampStatus.assess(SPEC, holding(1), 37, GuardStatus.HEALTHY, "ok", T0.plus(Duration.ofHours(2)));
        assertThat(s.phase()).isEqualTo(RampStatus.Phase.EXTENDED);
        assertThat(s.message()).isEqualTo("holding step 2 of 4 (10 %) past its 10m hold: 37 of 200 new-variant outcomes seen");
    }

    @Test
    void aGuardThatIsNotHealthyExtendsTheStep() {
        RampStatus s = RampStatus.assess(SPEC, holding(0), 900, GuardStatus.WAITING_FOR_SAMPLES,
                "waiting for samples: 12 of 200 new-variant outcomes in the last 1m", T0.plus(Duration.ofMinutes(6)));
        assertThat(s.phase()).isEqualTo(RampStatus.Phase.EXTENDED);
        assertThat(s.message()).isEqualTo("holding step 1 of 4 (1 %) past its 5m hold: the guard is waiting for samples "
                + "(waiting for samples: 12 of 200 new-variant outcomes in the last 1m)");
    }

    @Test
    void theHoldCountsOnlyRunningTime() {
        // held 4 minutes before a pause, then running again for 30 s
        MigrationRecord resumed = new MigrationRecord("id", "db.pool.size", 1_000, MigrationState.RUNNING, 3, false, 0,
                T0.plus(Duration.ofHours(1)), 240_000, null, T0, T0, null, null, null);
        RampStatus s = RampStatus.assess(SPEC, resumed, 500, GuardStatus.HEALTHY, "ok",
                T0.plus(Duration.ofHours(1)).plusSeconds(30));
        assertThat(s.held()).isEqualTo(Duration.ofSeconds(270));
        assertThat(s.remaining()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.phase()).isEqualTo(RampStatus.Phase.HOLDING);
    }

    @Test
    void aPausedMigrationsClockIsStopped() {
        MigrationRecord paused = new MigrationRecord("id", "db.pool.size", 1_000, MigrationState.PAUSED, 3, false, 0,
                null, 240_000, null, T0, T0, null, null, null);
        RampStatus s = RampStatus.assess(SPEC, paused, 500, GuardStatus.IDLE, null, T0.plus(Duration.ofDays(1)));
        assertThat(s.phase()).isEqualTo(RampStatus.Phase.STOPPED);
        assertThat(s.held()).isEqualTo(Duration.ofMinutes(4));
        assertThat(s.message()).isEqualTo("the hold clock is stopped while the migration is paused: step 1 of 4 (1 %) held 4m of 5m");
    }

    @Test
    void aManualPercentTakesTheMigrationOffTheRamp() {
        MigrationRecord manual = new MigrationRecord("id", "db.pool.size", 25_000, MigrationState.RUNNING, 3, true, 1,
                null, 1000, null, T0, T0, null, null, null);
        RampStatus s = RampStatus.assess(SPEC, manual, 5000, GuardStatus.HEALTHY, "ok", T0.plus(Duration.ofDays(1)));
        assertThat(s.phase()).isEqualTo(RampStatus.Phase.OFF_RAMP);
        assertThat(s.message()).contains("off the ramp at 25 %", "resume puts it back on the ramp");
    }

    @Test
    void theLastStepDoesNotClimb() {
        RampStatus s = RampStatus.assess(SPEC, holding(3), 5000, GuardStatus.HEALTHY, "ok", T0.plus(Duration.ofDays(1)));
        assertThat(s.phase()).isEqualTo(RampStatus.Phase.LAST_STEP);
        assertThat(s.remaining()).isZero();
        assertThat(s.message()).isEqualTo("at the last step, step 4 of 4 (100 %): complete the migration when satisfied");
    }

    @Test
    void aRolledBackRampIsOver() {
        MigrationRecord rolledBack = new MigrationRecord("id", "db.pool.size", 10_000, MigrationState.ROLLED_BACK, 3,
                false, 1, null, 1000, null, T0, T0, null, null, null);
        assertThat(RampStatus.assess(SPEC, rolledBack, 0, GuardStatus.IDLE, null, T0).phase())
                .isEqualTo(RampStatus.Phase.OVER);
    }

    @Test
    void durationsReadLikePeopleWriteThem() {
        assertThat(RampStatus.format(Duration.ofMillis(850))).isEqualTo("850ms");
        assertThat(RampStatus.format(Duration.ofMillis(4_260))).isEqualTo("4.2s");
        assertThat(RampStatus.format(Duration.ofSeconds(2))).isEqualTo("2s");
        assertThat(RampStatus.format(Duration.ofSeconds(192))).isEqualTo("3m12s");
        assertThat(RampStatus.format(Duration.ofMinutes(10))).isEqualTo("10m");
        assertThat(RampStatus.format(Duration.ofMinutes(65))).isEqualTo("1h05m");
    }
}

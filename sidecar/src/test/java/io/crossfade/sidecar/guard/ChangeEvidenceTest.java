package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.crossfade.config.GuardSpec;
import io.crossfade.sidecar.json.Json;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The unit-level e-detector: one unit's errors are one unit's evidence, a late regression is judged
 * on the data since it began, and memory stays bounded. Deterministic: seeded draws on a virtual
 * clock of one look a second.
 */
class ChangeEvidenceTest {

    private static final GuardSpec RULE = GuardSpec.DEFAULT;

    /** One second of traffic spread over every group: {@code rate} req/s, {@code share} on new. */
    private static long[] second(SplittableRandom random, double rate, double share, double oldRate, double newRate) {
        long[] groups = new long[UnitGroups.SIZE];
        for (int g = 0; g < UnitGroups.GROUPS; g++) {
            add(groups, random, UnitGroups.OLD, g, rate * (1 - share) / UnitGroups.GROUPS, oldRate);
            add(groups, random, UnitGroups.NEW, g, rate * share / UnitGroups.GROUPS, newRate);
        }
        return groups;
    }

    private static void add(long[] groups, SplittableRandom random, int side, int g, double mean, double errorRate) {
        long ok = GuardSimulator.poisson(random, mean * (1 - errorRate));
        long errors = GuardSimulator.poisson(random, mean * errorRate);
        int i = UnitGroups.index(side, g);
        groups[i] += ok + errors;
        groups[i + 1] += errors;
    }

    @Test
    void aRetryStormFromOneUnitOnNewNeverHaltsByItself() {
        SplittableRandom random = new SplittableRandom(3);
        ChangeEvidence units = new ChangeEvidence(ChangeEvidence.Sample.UNITS, 0.05, RULE.window(), 0);
        for (int s = 1; s <= 600; s++) {
            long[] look = second(random, 200, 0.1, 0.01, 0.01);
            if (s > 300 && s <= 310) {
                // one client on the new value: 500 failing requests in 10 s, all in its one group
                int i = UnitGroups.index(UnitGroups.NEW, 17);
                look[i] += 50;
                look[i + 1] += 50;
            }
            units.look(s * 1000L, look);
            assertThat(units.judge(RULE, s * 1000L).trips()).as("second %d", s).isFalse();
        }
        // the same errors as independent requests would have halted at once
        ChangeEvidence requests = new ChangeEvidence(ChangeEvidence.Sample.REQUESTS, 0.05, RULE.window(), 0);
        requests.look(1000, TripDecisionTest.asGroup0(new WindowCounts(54_000, 540, 6_000, 560)));
        assertThat(requests.judge(RULE, 1000).trips()).isTrue();
    }

    @Test
    void aRegressionSpreadOverManyUnitsHalts() {
        SplittableRandom random = new SplittableRandom(5);
        ChangeEvidence units = new ChangeEvidence(ChangeEvidence.Sample.UNITS, 0.05, RULE.window(), 0);
        int halted = -1;
        for (int s = 1; s <= 600 && halted < 0; s++) {
            units.look(s * 1000L, second(random, 200, 0.1, 0.01, 0.03));
            if (units.judge(RULE, s * 1000L).trips()) {
                halted = s;
            }
        }
        assertThat(halted).isBetween(1, 180);
    }

    @Test
    void aLateRegressionIsJudgedOnTheDataSinceItBegan() {
        SplittableRandom random = new SplittableRandom(11);
        ChangeEvidence units = new ChangeEvidence(ChangeEvidence.Sample.UNITS, 0.05, RULE.window(), 0);
        long hours = 8 * 3600;
        for (long s = 1; s <= hours; s++) {
            units.look(s * 1000, second(random, 200, 0.1, 0.01, 0.01));
        }
        assertThat(units.judge(RULE, hours * 1000).trips()).isFalse();
        long halted = -1;
        for (long s = hours + 1; s <= hours + 600 && halted < 0; s++) {
            units.look(s * 1000, second(random, 200, 0.1, 0.01, 0.03));
            if (units.judge(RULE, s * 1000).trips()) {
                halted = s - hours;
            }
        }
        // a start opened after the onset holds no healthy data: minutes, not hours
        assertThat(halted).isBetween(1L, 300L);
    }

    @Test
    void startsStayFewOverADayAndMemoryIsBoundedWhateverTheUnits() {
        ChangeEvidence units = new ChangeEvidence(ChangeEvidence.Sample.UNITS, 0.05, RULE.window(), 0);
        long[] empty = new long[UnitGroups.SIZE];
        int most = 0;
        for (long s = 1; s <= 24 * 3600; s++) {
            units.look(s * 1000, empty);
            most = Math.max(most, units.startsKept());
        }
        // the first start, the recent ones, and one per doubling of age
        int bound = 1 + ChangeEvidence.RECENT_STARTS + 1 + 64 - Long.numberOfLeadingZeros(24 * 3600 / 30);
        assertThat(most).isLessThanOrEqualTo(bound);
        // each start keeps one group count array and an Evidence of a few dozen numbers: the per-unit
        // counts are per group, so ten million units take no more than ten
        long bytes = (long) (most + 1) * UnitGroups.SIZE * Long.BYTES + most * 512L;
        assertThat(bytes).isLessThan(1 << 20);
    }

    @Test
    void tooFewUnitsAreNotJudgedWhateverTheirErrors() {
        ChangeEvidence units = new ChangeEvidence(ChangeEvidence.Sample.UNITS, 0.05, RULE.window(), 0);
        for (int s = 1; s <= 120; s++) {
            long[] look = new long[UnitGroups.SIZE];
            for (int g = 0; g < 4; g++) {
                // four instances reading without a unit: four units, every request of those on new fails
                int side = g < 2 ? UnitGroups.NEW : UnitGroups.OLD;
                int i = UnitGroups.index(side, g);
                look[i] += 50;
                look[i + 1] += side == UnitGroups.NEW ? 50 : 0;
            }
            units.look(s * 1000L, look);
        }
        ChangeEvidence.Judgement j = units.judge(RULE, 120_000);
        assertThat(j.trips()).isFalse();
        assertThat(TripDecision.cannotJudge(RULE, j, j.first())).startsWith("2 units on the new value: too few to"
                + " judge");
    }

    @Test
    void theStoredStateResumesTheSameTest() throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        ChangeEvidence units = new ChangeEvidence(ChangeEvidence.Sample.UNITS, 0.05, RULE.window(), 0);
        for (int s = 1; s <= 400; s++) {
            units.look(s * 1000L, second(random, 200, 0.1, 0.01, 0.015));
        }
        String json = Json.MAPPER.writeValueAsString(units.state(400_000));
        ChangeEvidence.State read = Json.MAPPER.readValue(json, ChangeEvidence.State.class);
        // a new process: its clock starts elsewhere
        ChangeEvidence resumed = ChangeEvidence.restore(read, 5_000_000);
        ChangeEvidence.Judgement before = units.judge(RULE, 400_000);
        ChangeEvidence.Judgement after = resumed.judge(RULE, 5_000_000);
        assertThat(after.logE()).isCloseTo(before.logE(), within(1e-9));
        assertThat(resumed.startsKept()).isEqualTo(units.startsKept());
        assertThat(after.outcomes()).isEqualTo(before.outcomes());
    }
}

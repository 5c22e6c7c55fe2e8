package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.crossfade.config.GuardAction;
import io.crossfade.config.GuardSpec;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The trip decision, pinned by the README's worked example and by its floors. */
class TripDecisionTest {

    private static final GuardSpec DEFAULT = GuardSpec.DEFAULT;

    private static Verdict decideOnOneLook(GuardSpec spec, WindowCounts counts) {
        return TripDecision.decide(spec, Evidence.start(spec.maxErrorRate()).after(counts), counts);
    }

    @Test
    void workedExampleFifteenSecondsInIsThirtyNinePercentOfTheWay() {
        // 200 req/s, 10 % on new; new fails 3 %, old 1 %: 15 s bring 300 new outcomes with 9 errors
        // and 2 700 old ones with 27. With a constant split the looks multiply to one look of the totals.
        WindowCounts counts = new WindowCounts(2673, 27, 291, 9);
        Verdict v = decideOnOneLook(DEFAULT, counts);
        Evidence e = Evidence.start(0.05).after(counts);
        assertThat(e.ratio()).isCloseTo(12.5, within(0.1));
        assertThat(v.kind()).isEqualTo(Verdict.Kind.HEALTHY);
        assertThat(v.evidence()).isCloseTo((e.ratio() + e.ceiling()) / 2, within(1e-9));
        assertThat(v.toHalt()).isCloseTo(0.40, within(0.01));
        assertThat(v.explanation()).isEqualTo("healthy: evidence 39 % of the way to a halt; new 3.00 % (9 of 300)"
                + " vs old 1.00 % (27 of 2700) in the last 1m");
    }

    @Test
    void workedExampleThirtySecondsInHalts() {
        WindowCounts counts = new WindowCounts(5346, 54, 582, 18);
        Evidence e = Evidence.start(0.05).after(counts);
        assertThat(e.ratio()).isCloseTo(272, within(3.0));
        Verdict v = decideOnOneLook(DEFAULT, counts);
        assertThat(v.kind()).isEqualTo(Verdict.Kind.TRIP_RATIO);
        assertThat(v.toHalt()).isEqualTo(1.0);
        assertThat(v.explanation()).startsWith("the new variant fails more often than the old one, 3.0x the old"
                + " variant's error rate, above maxRatio 2 (evidence 135 >= 100 at 99 % confidence)");
    }

    @Test
    void fiftyErrorsInFiftyHaltAtOnceWithoutMinSamples() {
        Verdict v = decideOnOneLook(DEFAULT, new WindowCounts(450, 5, 0, 50));
        assertThat(v.kind()).isEqualTo(Verdict.Kind.TRIP_CEILING);
        assertThat(v.explanation()).startsWith("the new variant's error rate is above maxErrorRate 5 %");
    }

    @Test
    void theRatioWaitsForMinSamples() {
        // 150 new outcomes, 15 % errors against 1 %: strong ratio evidence, but the floor holds it back,
        // and 15 % of 150 is not yet enough to prove the 5 % ceiling broken at 99 %
        WindowCounts counts = new WindowCounts(1980, 20, 138, 12);
        Verdict v = decideOnOneLook(DEFAULT, counts);
        assertThat(Evidence.start(0.05).after(counts).ratio()).isGreaterThan(200);
        assertThat(v.kind()).isEqualTo(Verdict.Kind.WAITING_FOR_SAMPLES);
        assertThat(v.explanation()).startsWith("waiting for samples: 150 of 200 new-variant outcomes in the window")
                .endsWith("but the window has too few new-variant outcomes to trust the ratio");
    }

    @Test
    void maxRatioIsAPracticalSignificanceFloor() {
        // 1.5x the old rate over a long time: the evidence says "worse", the floor says "not by enough"
        WindowCounts counts = new WindowCounts(990_000, 10_000, 98_500, 1_500);
        Verdict v = decideOnOneLook(DEFAULT, counts);
        assertThat(Evidence.start(0.05).after(counts).ratio()).isGreaterThan(1e6);
        assertThat(v.kind()).isEqualTo(Verdict.Kind.HEALTHY);
        assertThat(v.explanation()).endsWith("; the ratio evidence would put it at 100 %, but 1.5x the old"
                + " variant's error rate is within maxRatio 2");
        assertThat(v.toHalt()).isZero();
        GuardSpec lenient = new GuardSpec(0.05, 1.2, 200, Duration.ofSeconds(60), 0.99, GuardAction.HALT);
        assertThat(decideOnOneLook(lenient, counts).kind()).isEqualTo(Verdict.Kind.TRIP_RATIO);
    }

    @Test
    void theRatioFloorIsExact() {
        // exactly 2x: 4 of 200 vs 10 of 1000
        assertThat(TripDecision.aboveMaxRatio(DEFAULT, new WindowCounts(990, 10, 196, 4))).isFalse();
        assertThat(TripDecision.aboveMaxRatio(DEFAULT, new WindowCounts(990, 10, 195, 5))).isTrue();
        assertThat(TripDecision.aboveMaxRatio(DEFAULT, new WindowCounts(1000, 0, 199, 1))).isTrue();
        assertThat(TripDecision.aboveMaxRatio(DEFAULT, new WindowCounts(0, 0, 199, 1))).isFalse();
    }

    @Test
    void noOutcomesIsNoEvidence() {
        Verdict v = decideOnOneLook(DEFAULT, WindowCounts.EMPTY);
        assertThat(v.toHalt()).isZero();
        assertThat(v.evidence()).isEqualTo(1.0);
        assertThat(v.kind()).isEqualTo(Verdict.Kind.WAITING_FOR_SAMPLES);
        assertThat(v.explanation()).isEqualTo("waiting for samples: 0 of 200 new-variant outcomes in the window to"
                + " compare the variants; evidence 0 % of the way to a halt; new n/a (0 outcomes) vs old n/a"
                + " (0 outcomes) in the last 1m");
    }

    @Test
    void aHigherConfidenceNeedsMoreEvidence() {
        WindowCounts counts = new WindowCounts(5346, 54, 582, 18);
        GuardSpec strict = new GuardSpec(0.05, 2, 200, Duration.ofSeconds(60), 0.999, GuardAction.HALT);
        Verdict v = decideOnOneLook(strict, counts);
        assertThat(v.trips()).isFalse();
        assertThat(v.toHalt()).isCloseTo(Math.log(v.evidence()) / Math.log(1000), within(1e-9));
    }
}

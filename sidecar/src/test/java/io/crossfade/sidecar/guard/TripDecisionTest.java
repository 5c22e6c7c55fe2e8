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
                + " variant's error rate since the evidence started, up to 5.1x at 95 %, reaching maxRatio 2"
                + " (evidence 135 >= 100 at 99 % confidence)");
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
                + " variant's error rate since the evidence started (at most 1.6x at 95 %) is within maxRatio 2");
        assertThat(v.toHalt()).isZero();
        GuardSpec lenient = new GuardSpec(0.05, 1.2, 200, Duration.ofSeconds(60), 0.99, GuardAction.HALT);
        assertThat(decideOnOneLook(lenient, counts).kind()).isEqualTo(Verdict.Kind.TRIP_RATIO);
    }

    @Test
    void aFewErrorsThatLookLikeLessThanMaxRatioDoNotHoldBackAHalt() {
        // 3 minutes of a 3x regression at 200 req/s that happened to look like 1.8x (the slowest of
        // 1 000 simulated runs did): 65 of 3 600 new outcomes fail against 324 of 32 400 old. The
        // estimate is below maxRatio 2, but 65 errors cannot rule 2x out, and the evidence of "worse"
        // is past the threshold, so the guard halts.
        WindowCounts counts = new WindowCounts(32_076, 324, 3_535, 65);
        Evidence e = Evidence.start(0.05).after(counts);
        assertThat(e.ratioEstimate()).isCloseTo(1.81, within(0.01));
        assertThat(e.ratioUpperBound()).isCloseTo(2.36, within(0.01));
        Verdict v = decideOnOneLook(DEFAULT, counts);
        assertThat(v.kind()).isEqualTo(Verdict.Kind.TRIP_RATIO);
        assertThat(v.explanation()).startsWith("the new variant fails more often than the old one, 1.8x the old"
                + " variant's error rate since the evidence started, up to 2.4x at 95 %, reaching maxRatio 2"
                + " (evidence 226 >= 100 at 99 % confidence)");
    }

    @Test
    void theRatioFloorLooksAtEverythingSinceTheEvidenceStartedNotJustTheWindow() {
        // a minute that looks like 1.5x after ten that looked like 3x: the window alone would be
        // within maxRatio, the evidence's span is not
        Evidence e = Evidence.start(0.05);
        for (int minute = 0; minute < 10; minute++) {
            e = e.after(new WindowCounts(10_692, 108, 1_164, 36));
        }
        WindowCounts lastMinute = new WindowCounts(10_692, 108, 1_182, 18);
        e = e.after(lastMinute);
        assertThat(e.ratioEstimate()).isCloseTo(2.86, within(0.01));
        assertThat(TripDecision.decide(DEFAULT, e, lastMinute).kind()).isEqualTo(Verdict.Kind.TRIP_RATIO);
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

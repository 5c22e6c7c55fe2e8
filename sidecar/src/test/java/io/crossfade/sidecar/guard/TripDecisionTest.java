package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.crossfade.config.GuardAction;
import io.crossfade.config.GuardSpec;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The trip decision on aggregated counts (judged as independent requests), pinned by the README's
 * worked example and by its floors. The unit-level side is {@link ChangeEvidenceTest}.
 */
class TripDecisionTest {

    private static final GuardSpec DEFAULT = GuardSpec.DEFAULT;

    /** The decision after one look of {@code counts}, as aggregated counts, at {@code 1s}. */
    private static Verdict decideOnOneLook(GuardSpec spec, WindowCounts counts) {
        ChangeEvidence requests = new ChangeEvidence(ChangeEvidence.Sample.REQUESTS, spec.maxErrorRate(), spec.window(), 0);
        requests.look(1000, asGroup0(counts));
        return TripDecision.decide(spec, ChangeEvidence.none(spec), requests.judge(spec, 1000), counts);
    }

    static long[] asGroup0(WindowCounts counts) {
        return new GuardTotals(counts, null).requestsAsGroups();
    }

    @Test
    void workedExampleFifteenSecondsInIsTwentySevenPercentOfTheWay() {
        // 200 req/s, 10 % on new; new fails 3 %, old 1 %: 15 s bring 300 new outcomes with 9 errors
        // and 2 700 old ones with 27. With a constant split the looks multiply to one look of the totals.
        WindowCounts counts = new WindowCounts(2673, 27, 291, 9);
        Verdict v = decideOnOneLook(DEFAULT, counts);
        Evidence e = Evidence.start(0.05).after(counts);
        assertThat(e.ratio()).isCloseTo(12.5, within(0.1));
        assertThat(v.kind()).isEqualTo(Verdict.Kind.HEALTHY);
        // the first start weighs one half
        assertThat(v.evidence()).isCloseTo((e.ratio() + e.ceiling()) / 2 / 2, within(1e-9));
        assertThat(v.toHalt()).isCloseTo(Math.log(v.evidence()) / Math.log(100), within(1e-9));
        assertThat(v.explanation()).isEqualTo("healthy: evidence 24 % of the way to a halt; new 3.00 % (9 of 300)"
                + " vs old 1.00 % (27 of 2700) in the last 1m");
    }

    @Test
    void workedExampleFortyFiveSecondsInHalts() {
        WindowCounts counts = new WindowCounts(8019, 81, 873, 27);
        Verdict v = decideOnOneLook(DEFAULT, counts);
        assertThat(v.kind()).isEqualTo(Verdict.Kind.TRIP_RATIO);
        assertThat(v.toHalt()).isEqualTo(1.0);
        assertThat(v.explanation()).startsWith("the new value fails more often than the old one, 3.0x the old"
                + " value's error rate over the last 1s, up to 4.6x at 95 %, reaching maxRatio 2 (evidence ")
                .contains("past the line at 99 % confidence; aggregated counts, judged as independent requests)");
    }

    @Test
    void fiftyErrorsInFiftyHaltAtOnceWithoutMinSamples() {
        Verdict v = decideOnOneLook(DEFAULT, new WindowCounts(450, 5, 0, 50));
        assertThat(v.kind()).isEqualTo(Verdict.Kind.TRIP_CEILING);
        assertThat(v.explanation()).startsWith("the new value's error rate is above the 5 % limit (new 100.00 %"
                + " (50 of 50) over the last 1s;");
    }

    @Test
    void theRatioWaitsForMinSamplesSinceTheEvidenceBegan() {
        // 150 new outcomes, 15 % errors against 1 %: strong ratio evidence, but the floor holds it back,
        // and 15 % of 150 is not yet enough to prove the 5 % ceiling broken at 99 %
        WindowCounts counts = new WindowCounts(1980, 20, 138, 12);
        Verdict v = decideOnOneLook(DEFAULT, counts);
        assertThat(Evidence.start(0.05).after(counts).ratio()).isGreaterThan(200);
        assertThat(v.kind()).isEqualTo(Verdict.Kind.WAITING_FOR_SAMPLES);
        assertThat(v.explanation()).startsWith("waiting: 150 of 200 new-value outcomes since the evidence began to"
                + " compare the values (the ceiling is judged); evidence ");
    }

    @Test
    void maxRatioIsAPracticalSignificanceFloor() {
        // 1.5x the old rate over a long time: the evidence says "worse", the floor says "not by enough"
        WindowCounts counts = new WindowCounts(990_000, 10_000, 98_500, 1_500);
        Verdict v = decideOnOneLook(DEFAULT, counts);
        assertThat(Evidence.start(0.05).after(counts).ratio()).isGreaterThan(1e6);
        assertThat(v.kind()).isEqualTo(Verdict.Kind.HEALTHY);
        assertThat(v.explanation()).endsWith("; the new value fails more often, but 1.5x the old value's error rate"
                + " over the last 1s (at most 1.6x at 95 %) is within maxRatio 2");
        assertThat(v.toHalt()).isZero();
        GuardSpec lenient = new GuardSpec(0.05, 1.2, 200, Duration.ofSeconds(60), 0.99, GuardAction.HALT);
        assertThat(decideOnOneLook(lenient, counts).kind()).isEqualTo(Verdict.Kind.TRIP_RATIO);
    }

    @Test
    void aFewErrorsThatLookLikeLessThanMaxRatioDoNotHoldBackAHalt() {
        // 3 minutes of a 3x regression at 200 req/s that happened to look like 1.8x: 65 of 3 600 new
        // outcomes fail against 324 of 32 400 old. The estimate is below maxRatio 2, but 65 errors
        // cannot rule 2x out, and the evidence of "worse" is past the line, so the guard halts.
        WindowCounts counts = new WindowCounts(32_076, 324, 3_535, 65);
        Evidence e = Evidence.start(0.05).after(counts);
        assertThat(e.ratioEstimate()).isCloseTo(1.81, within(0.01));
        assertThat(e.ratioUpperBound()).isCloseTo(2.36, within(0.01));
        Verdict v = decideOnOneLook(DEFAULT, counts);
        assertThat(v.kind()).isEqualTo(Verdict.Kind.TRIP_RATIO);
        assertThat(v.explanation()).startsWith("the new value fails more often than the old one, 1.8x the old"
                + " value's error rate over the last 1s, up to 2.4x at 95 %, reaching maxRatio 2");
    }

    @Test
    void noOutcomesIsNoEvidence() {
        Verdict v = decideOnOneLook(DEFAULT, WindowCounts.EMPTY);
        assertThat(v.toHalt()).isZero();
        assertThat(v.kind()).isEqualTo(Verdict.Kind.WAITING_FOR_SAMPLES);
        assertThat(v.explanation()).isEqualTo("waiting: no outcomes reported yet; evidence 0 % of the way to a halt;"
                + " new n/a (0 outcomes) vs old n/a (0 outcomes) in the last 1m");
    }

    @Test
    void aHigherConfidenceNeedsMoreEvidence() {
        // 40 s of the worked example: past the line at 99 %, short of it at 99.9 %
        WindowCounts counts = new WindowCounts(7048, 72, 776, 24);
        assertThat(decideOnOneLook(DEFAULT, counts).trips()).isTrue();
        GuardSpec strict = new GuardSpec(0.05, 2, 200, Duration.ofSeconds(60), 0.999, GuardAction.HALT);
        Verdict v = decideOnOneLook(strict, counts);
        assertThat(v.trips()).isFalse();
        assertThat(v.toHalt()).isCloseTo(Math.log(v.evidence()) / Math.log(1000), within(1e-9));
    }

    @Test
    void farPastTheLineIsAPowerOfTenNeverEighteenDigits() {
        assertThat(TripDecision.farPast(Math.log(100) + Math.log(1.6), Math.log(100))).isEqualTo("1.60x");
        assertThat(TripDecision.farPast(Math.log(100) + 40, Math.log(100))).isEqualTo("10^17 times");
    }
}

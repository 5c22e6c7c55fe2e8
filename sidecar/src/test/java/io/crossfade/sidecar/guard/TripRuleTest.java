package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.config.GuardAction;
import io.crossfade.config.GuardSpec;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TripRuleTest {

    private static GuardSpec spec(double maxErrorRate, double maxRatio, int minSamples) {
        return new GuardSpec(maxErrorRate, maxRatio, minSamples, Duration.ofSeconds(60), 0.99, GuardAction.HALT);
    }

    /** Defaults unless a column says otherwise: maxErrorRate 0.05, maxRatio 2, minSamples 200, 99 %. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // case                                              | old ok   | old err | new ok   | new err | maxErr | ratio | min | verdict
        "zero samples on both sides                          | 0        | 0       | 0        | 0       | 0.05   | 2     | 200 | WAITING_FOR_SAMPLES",
        "zero new samples, plenty of old                     | 10000    | 500     | 0        | 0       | 0.05   | 2     | 200 | WAITING_FOR_SAMPLES",
        "one short of minSamples, every outcome an error     | 1000     | 0       | 0        | 199     | 0.05   | 2     | 200 | WAITING_FOR_SAMPLES",
        "exactly minSamples, no errors                       | 1000     | 0       | 200      | 0       | 0.05   | 2     | 200 | HEALTHY",
        "exactly minSamples, every outcome an error          | 1000     | 0       | 0        | 200     | 0.05   | 2     | 200 | TRIP_CEILING",
        "new exactly at the ceiling (10 of 200 = 5 %)        | 950      | 50      | 190      | 10      | 0.05   | 2     | 200 | HEALTHY",
        "new one error over the ceiling (11 of 200)          | 945      | 55      | 189      | 11      | 0.05   | 2     | 200 | TRIP_CEILING",
        "30 % against 1 %: the issue's example               | 990      | 10      | 140      | 60      | 0.05   | 2     | 200 | TRIP_CEILING",
        "zero old samples, new at the ceiling                | 0        | 0       | 190      | 10      | 0.05   | 2     | 200 | HEALTHY",
        "zero old samples, new over the ceiling              | 0        | 0       | 189      | 11      | 0.05   | 2     | 200 | TRIP_CEILING",
        "zero old errors, one new error: not significant     | 10000    | 0       | 199      | 1       | 0.05   | 2     | 200 | HEALTHY",
        "zero old errors, three new errors: significant      | 10000    | 0       | 197      | 3       | 0.05   | 2     | 200 | TRIP_RATIO",
        "zero errors anywhere                                | 10000    | 0       | 200      | 0       | 0.05   | 2     | 200 | HEALTHY",
        "new exactly at 2x old (4 % vs 2 %, z-test range)    | 9800     | 200     | 1920     | 80      | 0.05   | 2     | 200 | HEALTHY",
        "new just over 2x old and significant                | 9800     | 200     | 1919     | 81      | 0.05   | 2     | 200 | TRIP_RATIO",
        "exactly at 3x with a non-binary ratio               | 990      | 10      | 194      | 6       | 0.05   | 3     | 200 | HEALTHY",
        "over 2x old but too few errors to be significant    | 990      | 10      | 195      | 5       | 0.05   | 2     | 200 | HEALTHY",
        "ratio branch through the z-test (README example)    | 996      | 4       | 480      | 20      | 0.05   | 2     | 200 | TRIP_RATIO",
        "both at 2 %                                         | 98000    | 2000    | 9800     | 200     | 0.05   | 2     | 200 | HEALTHY",
        "tiny samples: minSamples 10, one error in 10        | 100      | 1       | 9        | 1       | 0.05   | 2     | 10  | TRIP_CEILING",
        "tiny samples: minSamples 1, one success             | 0        | 0       | 1        | 0       | 0.05   | 2     | 1   | HEALTHY",
        "huge samples: 2.1 % vs 1 % of ten million           | 9900000  | 100000  | 9790000  | 210000  | 0.05   | 2     | 200 | TRIP_RATIO",
        "huge samples: exactly 2 % vs 1 % of ten million     | 9900000  | 100000  | 9800000  | 200000  | 0.05   | 2     | 200 | HEALTHY",
        "huge samples: 1.001 % vs 1 %, ratio 1: not significant | 9900000 | 100000 | 9899900 | 100100  | 0.05   | 1     | 200 | HEALTHY",
        "huge samples: 1.015 % vs 1 %, ratio 1: significant  | 9900000  | 100000  | 9898500  | 101500  | 0.05   | 1     | 200 | TRIP_RATIO",
        "everything failing on both sides                    | 0        | 1000    | 0        | 200     | 1      | 2     | 200 | HEALTHY",
    })
    void decides(String description, long oldOk, long oldErrors, long newOk, long newErrors, double maxErrorRate,
            double maxRatio, int minSamples, Verdict.Kind expected) {
        Verdict v = TripRule.evaluate(spec(maxErrorRate, maxRatio, minSamples),
                new WindowCounts(oldOk, oldErrors, newOk, newErrors));
        assertThat(v.kind()).as(v.explanation()).isEqualTo(expected);
    }

    @Test
    void aCeilingTripExplainsRatesAndCounts() {
        Verdict v = TripRule.evaluate(GuardSpec.DEFAULT, new WindowCounts(990, 10, 140, 60));
        assertThat(v.explanation()).isEqualTo("new variant's error rate is above maxErrorRate 5 %: "
                + "new 30.00 % (60 of 200) vs old 1.00 % (10 of 1000) in the last 1m");
    }

    @Test
    void aRatioTripNamesTheRatioAndTheTest() {
        Verdict v = TripRule.evaluate(GuardSpec.DEFAULT, new WindowCounts(996, 4, 480, 20));
        assertThat(v.kind()).isEqualTo(Verdict.Kind.TRIP_RATIO);
        assertThat(v.test().method()).isEqualTo(TwoProportionTest.Method.Z);
        assertThat(v.explanation()).isEqualTo("the new variant's error rate is 10.0x the old one's, above maxRatio 2, "
                + "and significantly so (z = 5.24 > 2.33, one-sided at 99 % confidence): "
                + "new 4.00 % (20 of 500) vs old 0.40 % (4 of 1000) in the last 1m");
    }

    @Test
    void aStrayErrorAgainstAnErrorFreeOldVariantIsExplainedAsNotSignificant() {
        Verdict v = TripRule.evaluate(GuardSpec.DEFAULT, new WindowCounts(10_000, 0, 199, 1));
        assertThat(v.kind()).isEqualTo(Verdict.Kind.HEALTHY);
        assertThat(v.explanation()).isEqualTo("healthy: new 0.50 % (1 of 200) vs old 0.00 % (0 of 10000) in the last 1m; "
                + "the new variant has errors and the old one none, above any maxRatio, but not significantly so "
                + "(Fisher's exact p = 0.0196 >= 0.0100, one-sided at 99 % confidence)");
    }

    @Test
    void waitingSaysHowManySamplesAreMissing() {
        Verdict v = TripRule.evaluate(GuardSpec.DEFAULT, new WindowCounts(5000, 20, 30, 7));
        assertThat(v.kind()).isEqualTo(Verdict.Kind.WAITING_FOR_SAMPLES);
        assertThat(v.explanation()).isEqualTo("waiting for samples: 37 of 200 new-variant outcomes in the last 1m");
    }

    @Test
    void theConfidenceIsHonoured() {
        // 1.5 % vs 1 % over 2000 / 10 000 with maxRatio 1: z = 1.97, significant at 95 % but not at 99 %
        WindowCounts counts = new WindowCounts(9900, 100, 1970, 30);
        GuardSpec lenient = new GuardSpec(0.05, 1.0, 200, Duration.ofSeconds(60), 0.95, GuardAction.HALT);
        GuardSpec strict = new GuardSpec(0.05, 1.0, 200, Duration.ofSeconds(60), 0.99, GuardAction.HALT);
        assertThat(TripRule.evaluate(lenient, counts).kind()).isEqualTo(Verdict.Kind.TRIP_RATIO);
        assertThat(TripRule.evaluate(strict, counts).kind()).isEqualTo(Verdict.Kind.HEALTHY);
    }
}

package io.crossfade.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsAndGuardSpecTest {

    @ParameterizedTest(name = "{0} -> {1} ms")
    @CsvSource({
        "500ms, 500",
        "60s, 60000",
        "5m, 300000",
        "1h, 3600000",
        "' 10m ', 600000",
        "0s, 0",
        "PT30S, 30000",
        "PT1M30S, 90000",
        "PT0.5S, 500",
    })
    void parseReadsShortFormsAndIso8601(String text, long millis) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "5 m", "5min", "1d", "5M", "1h30m", "-5s", "abc", "1.5s", "1234567890s"})
    void parseRejectsOtherTextNamingTheExpectedForms(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("500ms, 60s, 5m or 1h")
                .hasMessageContaining("'" + text + "'");
    }

    @Test
    void parseRejectsNull() {
        assertThatThrownBy(() -> Durations.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "{0} ms -> {1}")
    @CsvSource({
        "0, 0s",
        "1500, 1500ms",
        "1000, 1s",
        "90000, 90s",
        "60000, 1m",
        "5400000, 90m",
        "3600000, 1h",
        "7200000, 2h",
    })
    void formatWritesTheLargestWholeUnit(long millis, String text) {
        assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @Test
    void guardDefaultsSuitATypicalService() {
        GuardSpec d = GuardSpec.DEFAULT;
        assertThat(d.maxErrorRate()).isEqualTo(0.05);
        assertThat(d.maxRatio()).isEqualTo(2.0);
        assertThat(d.minSamples()).isEqualTo(200);
        assertThat(d.window()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.confidence()).isEqualTo(0.99);
        assertThat(d.action()).isEqualTo(GuardAction.HALT);
    }

    private static GuardSpec guard(double maxErrorRate, double maxRatio, int minSamples, Duration window, double confidence) {
        return new GuardSpec(maxErrorRate, maxRatio, minSamples, window, confidence, GuardAction.HALT);
    }

    @Test
    void guardAcceptsTheEdgesOfEveryRange() {
        assertThat(GuardSpec.problems(1.0, 1.0, 1, Duration.ofSeconds(1), 0.5)).isEmpty();
        assertThat(guard(1.0, 1.0, 1, Duration.ofSeconds(1), 0.5))
                .isEqualTo(new GuardSpec(1.0, 1.0, 1, Duration.ofSeconds(1), 0.5, GuardAction.HALT))
                .extracting(GuardSpec::maxErrorRate, GuardSpec::maxRatio, GuardSpec::minSamples, GuardSpec::window,
                        GuardSpec::confidence)
                .containsExactly(1.0, 1.0, 1, Duration.ofSeconds(1), 0.5);
        assertThat(GuardSpec.problems(Double.MIN_VALUE, 1e6, Integer.MAX_VALUE, Duration.ofHours(1), 0.999_999)).isEmpty();
        assertThat(guard(Double.MIN_VALUE, 1e6, Integer.MAX_VALUE, Duration.ofHours(1), 0.999_999))
                .extracting(GuardSpec::maxErrorRate, GuardSpec::maxRatio, GuardSpec::minSamples, GuardSpec::window,
                        GuardSpec::confidence)
                .containsExactly(Double.MIN_VALUE, 1e6, Integer.MAX_VALUE, Duration.ofHours(1), 0.999_999);
    }

    @Test
    void everyValueOutsideItsRangeIsReportedAtOnceByField() {
        assertThat(GuardSpec.problems(0, 0.5, 0, Duration.ofMillis(1), 1.0))
                .extracting(GuardSpec.Problem::field)
                .containsExactly("maxErrorRate", "maxRatio", "minSamples", "window", "confidence");
        assertThatThrownBy(() -> guard(0, 0.5, 0, Duration.ofMillis(1), 1.0))
                .hasMessageContaining("maxErrorRate must be in (0, 1], got 0.0")
                .hasMessageContaining("maxRatio").hasMessageContaining("minSamples")
                .hasMessageContaining("window").hasMessageContaining("confidence");
    }

    @Test
    void guardRefusesValuesOutsideTheirRanges() {
        Duration w = Duration.ofSeconds(60);
        assertThatThrownBy(() -> guard(0, 2, 200, w, 0.99)).hasMessageContaining("maxErrorRate");
        assertThatThrownBy(() -> guard(1.01, 2, 200, w, 0.99)).hasMessageContaining("maxErrorRate");
        assertThatThrownBy(() -> guard(Double.NaN, 2, 200, w, 0.99)).hasMessageContaining("maxErrorRate");
        assertThatThrownBy(() -> guard(0.05, 0.99, 200, w, 0.99)).hasMessageContaining("maxRatio");
        assertThatThrownBy(() -> guard(0.05, Double.POSITIVE_INFINITY, 200, w, 0.99)).hasMessageContaining("maxRatio");
        assertThatThrownBy(() -> guard(0.05, Double.NaN, 200, w, 0.99)).hasMessageContaining("maxRatio");
        assertThatThrownBy(() -> guard(0.05, 2, 0, w, 0.99)).hasMessageContaining("minSamples");
        assertThatThrownBy(() -> guard(0.05, 2, 200, Duration.ofMillis(999), 0.99)).hasMessageContaining("window");
        assertThatThrownBy(() -> guard(0.05, 2, 200, Duration.ofHours(1).plusMillis(1), 0.99))
                .hasMessageContaining("window");
        assertThatThrownBy(() -> guard(0.05, 2, 200, w, 0.49)).hasMessageContaining("confidence");
        assertThatThrownBy(() -> guard(0.05, 2, 200, w, 1.0)).hasMessageContaining("confidence");
        assertThatThrownBy(() -> new GuardSpec(0.05, 2, 200, null, 0.99, GuardAction.HALT))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new GuardSpec(0.05, 2, 200, w, 0.99, null)).isInstanceOf(NullPointerException.class);
    }
}

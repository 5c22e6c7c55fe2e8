package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class NormalQuantileTest {

    @ParameterizedTest(name = "quantile({0}) = {1}")
    @CsvSource({
        "0.5, 0.0",
        "0.9, 1.2815515655446004",
        "0.95, 1.6448536269514722",
        "0.975, 1.959963984540054",
        "0.99, 2.3263478740408408",
        "0.999, 3.090232306167813",
        "0.999999, 4.753424308822899",
        "0.01, -2.3263478740408408",
        "0.02, -2.053748910631823",   // just below Acklam's lower break point
        "0.03, -1.880793608151251",   // just above it
        "1.0e-10, -6.361340902404056"
    })
    void matchesReferenceValues(double p, double expected) {
        assertThat(NormalQuantile.of(p)).isCloseTo(expected, within(Math.max(1e-12, Math.abs(expected) * 2e-9)));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 1.0, -0.1, 1.5, Double.NaN})
    void refusesProbabilitiesOutsideTheOpenUnitInterval(double p) {
        assertThatThrownBy(() -> NormalQuantile.of(p)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.001, 0.2, 0.6, 0.97, 0.9999})
    void isSymmetricAroundOneHalf(double p) {
        assertThat(NormalQuantile.of(p)).isCloseTo(-NormalQuantile.of(1 - p), within(1e-8));
    }
}

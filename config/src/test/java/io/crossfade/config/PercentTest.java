package io.crossfade.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PercentTest {

    @Test
    void fullIsOneHundredThousandThousandths() {
        assertThat(Percent.FULL).isEqualTo(100_000);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "0, 0",
        "0.000, 0",
        "0.001, 1",
        "1, 1000",
        "5, 5000",
        "12.345, 12345",
        "12.3450, 12345",
        "50.5, 50500",
        "99.999, 99999",
        "100, 100000",
        "100.000, 100000",
        "1E+2, 100000",
    })
    void fromDecimalConvertsToThousandths(String decimal, int thousandths) {
        assertThat(Percent.fromDecimal(new BigDecimal(decimal))).isEqualTo(thousandths);
    }

    @Test
    void fromDecimalRejectsMoreThanThreeDecimalsSayingSo() {
        assertThatThrownBy(() -> Percent.fromDecimal(new BigDecimal("12.3456")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("three decimals")
                .hasMessageContaining("12.3456");
        assertThatThrownBy(() -> Percent.fromDecimal(new BigDecimal("0.0001")))
                .hasMessageContaining("three decimals");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-0.001", "100.001", "101", "1000000"})
    void fromDecimalRejectsValuesOutsideZeroToOneHundred(String decimal) {
        assertThatThrownBy(() -> Percent.fromDecimal(new BigDecimal(decimal)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 0 and 100")
                .hasMessageContaining(decimal);
    }

    @Test
    void fromDecimalRejectsNull() {
        assertThatThrownBy(() -> Percent.fromDecimal(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing");
    }

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource({
        "0, 0",
        "100, 100000",
        "12.345, 12345",
        "25, 25000",
        "'  25  ', 25000",
        "+7, 7000",
        ".5, 500",
        "007.5, 7500",
        "5%, 5000",
        "'5 %', 5000",
        "99.999, 99999",
    })
    void parseReadsPlainDecimalText(String text, int thousandths) {
        assertThat(Percent.parse(text)).isEqualTo(thousandths);
    }

    @Test
    void parseRejectsFourDecimalsSayingThreeAreAllowed() {
        assertThatThrownBy(() -> Percent.parse("12.3456"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("three decimals");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "100.001", "101"})
    void parseRejectsNumbersOutsideTheRange(String text) {
        assertThatThrownBy(() -> Percent.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 0 and 100");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "NaN", "Infinity", "1e2", "0x10", "5.", "1,5", "5%%", "%", "12.5.1", "--1"})
    void parseRejectsTextThatIsNotAPlainNumberNamingIt(String text) {
        assertThatThrownBy(() -> Percent.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be a number between 0 and 100")
                .hasMessageContaining("'" + text + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   "})
    void parseRejectsEmptyTextAsMissing(String text) {
        assertThatThrownBy(() -> Percent.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing");
    }

    @Test
    void parseRejectsNullAsMissing() {
        assertThatThrownBy(() -> Percent.parse(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing");
    }

    @ParameterizedTest(name = "{0} -> \"{1}\"")
    @CsvSource({
        "0, 0",
        "1, 0.001",
        "10, 0.01",
        "500, 0.5",
        "1000, 1",
        "5000, 5",
        "12345, 12.345",
        "12340, 12.34",
        "50000, 50",
        "100000, 100",
    })
    void formatWritesTheShortestPlainDecimal(int thousandths, String text) {
        assertThat(Percent.format(thousandths)).isEqualTo(text);
    }

    @Test
    void toDecimalHasNoTrailingZerosAndNoExponent() {
        assertThat(Percent.toDecimal(0)).isEqualByComparingTo("0");
        assertThat(Percent.toDecimal(0).scale()).isZero();
        assertThat(Percent.toDecimal(100_000).toString()).isEqualTo("100");
        assertThat(Percent.toDecimal(50_000).toString()).isEqualTo("50");
        assertThat(Percent.toDecimal(12_345)).isEqualTo(new BigDecimal("12.345"));
        assertThat(Percent.toDecimal(12_300)).isEqualTo(new BigDecimal("12.3"));
    }

    @Test
    void formatAndParseRoundTripEveryThousandth() {
        for (int t = 0; t <= Percent.FULL; t++) {
            String text = Percent.format(t);
            if (Percent.parse(text) != t || Percent.fromDecimal(Percent.toDecimal(t)) != t) {
                throw new AssertionError("round trip failed for " + t + " (" + text + ")");
            }
        }
    }
}

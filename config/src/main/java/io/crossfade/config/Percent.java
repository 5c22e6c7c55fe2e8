package io.crossfade.config;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Percentages as the design stores them: thousandths of a percent, an {@code int} in
 * [0, 100000]. 12.345 % is 12345; the granularity is therefore 0.001 %.
 */
public final class Percent {

    /** 100 %, in thousandths. */
    public static final int FULL = 100_000;

    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);

    private Percent() {
    }

    /**
     * Converts a decimal percent to thousandths.
     *
     * @throws IllegalArgumentException with a user-facing sentence when the value is outside
     *     0-100 or has more than three decimals
     */
    public static int fromDecimal(BigDecimal percent) {
        if (percent == null) {
            throw new IllegalArgumentException("percent is missing");
        }
        if (percent.signum() < 0 || percent.compareTo(BigDecimal.valueOf(100)) > 0) {
            throw new IllegalArgumentException("percent must be between 0 and 100, got " + percent.toPlainString());
        }
        BigDecimal scaled = percent.multiply(THOUSAND);
        try {
            return scaled.setScale(0, RoundingMode.UNNECESSARY).intValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(
                    "percent has at most three decimals (0.001 % steps), got " + percent.toPlainString());
        }
    }

    /**
     * Parses a percent written as text ({@code "25"}, {@code "12.345"}).
     *
     * @throws IllegalArgumentException when the text is not a plain decimal number, or as
     *     {@link #fromDecimal(BigDecimal)}
     */
    public static int parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("percent is missing");
        }
        String trimmed = text.trim();
        if (trimmed.endsWith("%")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1).trim();
        }
        if (!trimmed.matches("[+]?[0-9]+(\\.[0-9]+)?|[+]?\\.[0-9]+")) {
            throw new IllegalArgumentException("percent must be a number between 0 and 100, got '" + text + "'");
        }
        return fromDecimal(new BigDecimal(trimmed));
    }

    /** The thousandths as a decimal percent without trailing zeros (5000 → 5, 12345 → 12.345). */
    public static BigDecimal toDecimal(int thousandths) {
        BigDecimal value = BigDecimal.valueOf(thousandths, 3).stripTrailingZeros();
        return value.scale() < 0 ? value.setScale(0) : value;
    }

    /** The thousandths as text for people and logs: {@code 12.345}, {@code 5}. */
    public static String format(int thousandths) {
        return toDecimal(thousandths).toPlainString();
    }
}

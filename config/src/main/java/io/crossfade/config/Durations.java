package io.crossfade.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them in settings files: {@code 500ms}, {@code 60s}, {@code 5m}, {@code 1h}, or ISO-8601. */
public final class Durations {

    private static final Pattern SIMPLE = Pattern.compile("([0-9]{1,9})(ms|s|m|h)");

    private Durations() {
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException naming the expected forms when the text is none of them
     */
    public static Duration parse(String text) {
        String trimmed = text == null ? "" : text.trim();
        Matcher m = SIMPLE.matcher(trimmed);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "ms": return Duration.ofMillis(n);
                case "s": return Duration.ofSeconds(n);
                case "m": return Duration.ofMinutes(n);
                default: return Duration.ofHours(n);
            }
        }
        try {
            return Duration.parse(trimmed);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(
                    "expected a duration such as 500ms, 60s, 5m or 1h, got '" + text + "'");
        }
    }

    /** A short human form: {@code 60s}, {@code 5m}, {@code 1500ms}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}

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

    /**
     * A duration for people: the two largest units, rounded down, e.g. {@code 1m 47s},
     * {@code 2h 5m}, {@code 3d 4h}, {@code 12s}, {@code 350ms}. Not for settings files (see
     * {@link #format}).
     */
    public static String forPeople(Duration d) {
        long ms = Math.max(0, d.toMillis());
        if (ms < 1000) {
            return ms + "ms";
        }
        long s = ms / 1000;
        long[] sizes = {86_400, 3_600, 60, 1};
        String[] names = {"d", "h", "m", "s"};
        for (int i = 0; i < sizes.length; i++) {
            if (s >= sizes[i]) {
                long major = s / sizes[i];
                String text = major + names[i];
                if (i + 1 < sizes.length) {
                    long minor = s % sizes[i] / sizes[i + 1];
                    if (minor > 0) {
                        text += " " + minor + names[i + 1];
                    }
                }
                return text;
            }
        }
        return s + "s";
    }
}

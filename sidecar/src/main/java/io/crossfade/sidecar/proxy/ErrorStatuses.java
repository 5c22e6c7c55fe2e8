package io.crossfade.sidecar.proxy;

import java.util.BitSet;
import java.util.Locale;

/**
 * The upstream statuses that count as errors for the guard ({@code --error-status}): classes such as
 * {@code 5xx} and single codes such as {@code 429}, comma-separated. Immutable; thread-safe.
 */
public final class ErrorStatuses {

    /** The default, {@code 5xx}. */
    public static final String DEFAULT = "5xx";

    private final BitSet statuses;
    private final String text;

    private ErrorStatuses(BitSet statuses, String text) {
        this.statuses = statuses;
        this.text = text;
    }

    /**
     * Parses {@code 5xx}, {@code 5xx,429}, {@code 500,502,503}.
     *
     * @throws IllegalArgumentException naming the entry that is neither a class {@code 1xx}..{@code 5xx}
     *     nor a status 100..599
     */
    public static ErrorStatuses parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("--error-status is empty; give classes and codes such as 5xx,429");
        }
        BitSet set = new BitSet(600);
        for (String raw : text.split(",")) {
            String entry = raw.trim().toLowerCase(Locale.ROOT);
            if (entry.matches("[1-5]xx")) {
                int base = (entry.charAt(0) - '0') * 100;
                set.set(base, base + 100);
            } else if (entry.matches("[1-5][0-9][0-9]")) {
                set.set(Integer.parseInt(entry));
            } else {
                throw new IllegalArgumentException("--error-status entry '" + raw.trim() + "' is neither a status class "
                        + "(1xx to 5xx) nor a status code (100 to 599); example: 5xx,429");
            }
        }
        return new ErrorStatuses(set, text.trim());
    }

    /** True when an upstream answering {@code status} failed the request. */
    public boolean isError(int status) {
        return status >= 0 && status < 600 && statuses.get(status);
    }

    @Override
    public String toString() {
        return text;
    }
}

package io.crossfade.sidecar.state;

import io.crossfade.config.Durations;
import io.crossfade.sidecar.rollout.Tombstone;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How much of the audit log is kept ({@code --audit-retention AGE,SIZE}): closed segments whose last
 * event is older than {@code maxAge}, and the oldest closed segments beyond {@code maxBytes} in all,
 * are deleted. The segment being written is never deleted, nor any event the state file does not
 * include yet (recovery replays those), so the state of every migration survives any retention.
 * Immutable.
 *
 * @param maxAge events older than this may go; {@link Duration#ZERO} keeps events of any age
 * @param maxBytes the log's size on disk, all segments together, is kept near this (within one
 *     segment); 0 keeps any size
 */
public record AuditRetention(Duration maxAge, long maxBytes) {

    /** {@code 90d,256MiB}. */
    public static final AuditRetention DEFAULT = new AuditRetention(Duration.ofDays(90), 256L << 20);

    /** The largest segment; a smaller {@code maxBytes} makes segments an eighth of it (at least 64 KiB). */
    static final long MAX_SEGMENT_BYTES = 16L << 20;
    static final long MIN_SEGMENT_BYTES = 64L << 10;

    private static final Pattern SIZE = Pattern.compile("([0-9]{1,12})\\s*(b|kb|kib|mb|mib|gb|gib)?");

    public AuditRetention {
        Objects.requireNonNull(maxAge, "maxAge");
        if (maxAge.isNegative() || maxBytes < 0) {
            throw new IllegalArgumentException("--audit-retention must not be negative");
        }
    }

    /** How large a segment grows before the next one is started. */
    public long segmentBytes() {
        if (maxBytes == 0) {
            return MAX_SEGMENT_BYTES;
        }
        return Math.max(MIN_SEGMENT_BYTES, Math.min(MAX_SEGMENT_BYTES, maxBytes / 8));
    }

    /**
     * Parses {@code AGE,SIZE} in either order, or just one of them (the other then keeps its default):
     * {@code 30d,100MiB}, {@code 7d}, {@code 1GiB}. {@code 0} for an age or size keeps without that limit.
     *
     * @throws IllegalArgumentException saying what was expected
     */
    public static AuditRetention parse(String text) {
        Duration age = DEFAULT.maxAge;
        long bytes = DEFAULT.maxBytes;
        boolean ageSeen = false;
        boolean sizeSeen = false;
        String trimmed = text == null ? "" : text.strip();
        if (trimmed.isEmpty()) {
            throw expected(text);
        }
        for (String part : trimmed.split(",")) {
            String p = part.strip().toLowerCase(Locale.ROOT);
            Matcher size = SIZE.matcher(p);
            if (p.equals("0")) {
                throw new IllegalArgumentException("--audit-retention: say which limit '0' lifts: 0d (any age) or 0b"
                        + " (any size), found '" + text + "'");
            }
            if (size.matches() && size.group(2) != null && !sizeSeen) {
                bytes = Long.parseLong(size.group(1)) * unit(size.group(2));
                sizeSeen = true;
            } else if (!ageSeen) {
                try {
                    age = p.matches("[0-9]{1,6}d") ? Duration.ofDays(Long.parseLong(p.substring(0, p.length() - 1)))
                            : Durations.parse(p);
                } catch (IllegalArgumentException e) {
                    throw expected(text);
                }
                ageSeen = true;
            } else {
                throw expected(text);
            }
        }
        return new AuditRetention(age, bytes);
    }

    private static long unit(String u) {
        return switch (u) {
            case "b" -> 1;
            case "kb", "kib" -> 1L << 10;
            case "mb", "mib" -> 1L << 20;
            default -> 1L << 30;
        };
    }

    private static IllegalArgumentException expected(String text) {
        return new IllegalArgumentException("--audit-retention takes AGE,SIZE such as 90d,256MiB (or one of them;"
                + " 0d or 0b lifts that limit), found '" + text + "'");
    }

    @Override
    public String toString() {
        return (maxAge.isZero() ? "any age" : Tombstone.format(maxAge)) + ","
                + (maxBytes == 0 ? "any size" : maxBytes % (1L << 20) == 0 ? (maxBytes >> 20) + "MiB" : maxBytes + "B");
    }
}

package io.crossfade.config;

/**
 * The limits of the HTTP contract that both ends must agree on: the sidecar refuses what exceeds
 * them, and the client library never sends it. One place, so the two cannot drift apart.
 */
public final class WireLimits {

    /** Longest unit accepted, in UTF-8 bytes, on reads ({@code ?unit=}, {@code X-Crossfade-Unit}) and outcomes. */
    public static final int MAX_UNIT_BYTES = 256;

    /** Most outcomes in one {@code POST /v1/outcomes} request. */
    public static final int MAX_OUTCOMES_PER_REQUEST = 1000;

    /** Largest request body any endpoint accepts: 64 KiB. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    /** The message of every answer refusing a body over {@link #MAX_BODY_BYTES}. */
    public static final String BODY_TOO_LARGE = "request body is over the 64 KiB limit";

    private WireLimits() {
    }

    /**
     * True when {@code unit} takes more than {@link #MAX_UNIT_BYTES} bytes in UTF-8, counted as
     * {@code String.getBytes(UTF_8)} would encode it (an unpaired surrogate is one byte) but without
     * encoding it: the sidecar checks this on every read. Pure; safe on any thread.
     */
    public static boolean unitTooLong(String unit) {
        int n = unit.length();
        if (n > MAX_UNIT_BYTES) {
            return true; // every char takes at least one byte
        }
        if (n * 3 <= MAX_UNIT_BYTES) {
            return false; // no char takes more than three bytes (a pair takes four for two chars)
        }
        int bytes = 0;
        for (int i = 0; i < n; i++) {
            char c = unit.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(unit.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                bytes += 1;
            } else {
                bytes += 3;
            }
        }
        return bytes > MAX_UNIT_BYTES;
    }
}

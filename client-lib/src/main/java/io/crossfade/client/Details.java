package io.crossfade.client;

import io.crossfade.config.Variant;

/**
 * The full answer to one read: the value and where it came from. Immutable.
 *
 * @param key the key read
 * @param value the setting's value as the requested type, or the caller's default when
 *     {@link #fallback()} (for {@link CrossfadeClient#details(String, String)}: the JSON value, or null).
 *     Values are shared between callers: do not mutate them
 * @param variant {@link Variant#STATIC} without a migration, else which side of the migration the unit
 *     is on; null when the value is a fallback
 * @param version the version of the snapshot the read used; 0 when no snapshot has been loaded
 * @param fallback true when {@code value} is the caller's default rather than the setting's value
 * @param errorCode why the value is a fallback; {@link ErrorCode#NONE} otherwise
 * @param errorMessage a sentence saying what went wrong, or null
 * @param <T> the requested type
 */
public record Details<T>(String key, T value, Variant variant, long version, boolean fallback, ErrorCode errorCode,
        String errorMessage) {

    /** A read that returned the caller's default. */
    static <T> Details<T> fallback(String key, T defaultValue, long version, ErrorCode code, String message) {
        return new Details<>(key, defaultValue, null, version, true, code, message);
    }
}

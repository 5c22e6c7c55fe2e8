package io.crossfade.client;

/**
 * Why a read returned the caller's default instead of a setting's value, as in OpenFeature. Getters
 * never throw: they return the default and {@link Details} carries the code.
 */
public enum ErrorCode {
    /** No error: the value is the setting's. */
    NONE,
    /**
     * No snapshot has been loaded yet: the sidecar has not been reached since the client started (it
     * is down, or the first load is still on its way). Once a snapshot is loaded it keeps serving even
     * while the sidecar is away, so this code only occurs at start.
     */
    NOT_READY,
    /** The loaded snapshot has no setting with that key (or the key is null or malformed). */
    SETTING_NOT_FOUND,
    /** The setting's value cannot be read as the requested type, e.g. {@code getInt} of {@code "ten"}. */
    TYPE_MISMATCH,
    /** An unexpected failure inside the client; the message says what. Should not happen. */
    GENERAL
}

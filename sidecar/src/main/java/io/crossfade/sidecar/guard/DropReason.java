package io.crossfade.sidecar.guard;

/** Why an outcome was counted and dropped instead of feeding a guard window. */
public enum DropReason {
    /** No setting has the outcome's key. */
    UNKNOWN_KEY,
    /** The setting exists but has no migration. */
    NO_MIGRATION,
    /** The migration is paused, halted, rolled back or completed: nothing is being judged. */
    NOT_RUNNING;

    private final String wireName = name().toLowerCase(java.util.Locale.ROOT);

    /** The metric label value ({@code unknown_key}, ...). */
    public String wireName() {
        return wireName;
    }
}

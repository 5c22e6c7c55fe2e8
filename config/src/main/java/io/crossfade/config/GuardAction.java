package io.crossfade.config;

/** What the guard does to a migration whose new variant's errors spike. */
public enum GuardAction {
    /** Freeze the percent; the migration's state becomes {@code halted}. */
    HALT,
    /** Put everyone back on the old value; the state becomes {@code rolled_back}. */
    ROLLBACK;

    /** The lower-case name used in files, JSON and metric labels. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

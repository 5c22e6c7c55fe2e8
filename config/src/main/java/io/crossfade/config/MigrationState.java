package io.crossfade.config;

import java.util.Locale;

/**
 * Where a migration is in its life. {@code running} ⇄ {@code paused} (operator);
 * {@code running} → {@code halted} (guard or operator); any → {@code rolled_back} (everyone on
 * {@code from}); {@code running} at 100 % → {@code completed} (everyone on {@code to}).
 */
public enum MigrationState {
    RUNNING, PAUSED, HALTED, ROLLED_BACK, COMPLETED;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The lower-case name used in JSON and metric labels ({@code rolled_back}). */
    @com.fasterxml.jackson.annotation.JsonValue
    public String wireName() {
        return wireName;
    }

    /** Parses a wire name; returns null for anything else. */
    @com.fasterxml.jackson.annotation.JsonCreator
    public static MigrationState fromWireName(String name) {
        for (MigrationState s : values()) {
            if (s.wireName.equals(name)) {
                return s;
            }
        }
        return null;
    }
}

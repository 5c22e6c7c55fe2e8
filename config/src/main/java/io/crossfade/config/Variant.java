package io.crossfade.config;

/** Which value a read got: the only value of a setting, or one side of a running migration. */
public enum Variant {
    /** The setting has no migration: everyone reads its value. */
    STATIC,
    /** The unit is on the migration's {@code from} side. */
    OLD,
    /** The unit is on the migration's {@code to} side. */
    NEW;

    private final String wireName = name().toLowerCase(java.util.Locale.ROOT);

    /** The lower-case name used in JSON, headers and metric labels. */
    @com.fasterxml.jackson.annotation.JsonValue
    public String wireName() {
        return wireName;
    }

    /** Parses a wire name ({@code static}, {@code old}, {@code new}); returns null for anything else. */
    @com.fasterxml.jackson.annotation.JsonCreator
    public static Variant fromWireName(String name) {
        if (name == null) {
            return null;
        }
        switch (name) {
            case "static": return STATIC;
            case "old": return OLD;
            case "new": return NEW;
            default: return null;
        }
    }
}

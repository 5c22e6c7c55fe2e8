package io.crossfade.config;

import java.util.List;
import java.util.Objects;

/**
 * A set of units a migration can put on one side whatever its percent: the units listed, and every
 * unit that starts with one of the prefixes. Either a cohort declared under {@code cohorts:} (and
 * shared by migrations) or the units a migration lists inline (then {@link #name()} is null).
 * Immutable.
 *
 * @param name the cohort's name; null for units listed inline in a migration or by an operator
 * @param units the units, in the order declared (duplicates removed)
 * @param prefixes the prefixes, in the order declared (duplicates removed)
 * @param file the cohort file the units were read from, or null
 */
public record Cohort(String name, List<String> units, List<String> prefixes, String file) {

    /** Most units one cohort file may hold. */
    public static final int MAX_FILE_UNITS = 100_000;

    /** Largest cohort file, in bytes: 1 MiB. */
    public static final int MAX_FILE_BYTES = 1024 * 1024;

    /** Most prefixes one cohort may declare: prefixes are checked on every read, so they stay few. */
    public static final int MAX_PREFIXES = 100;

    public Cohort {
        units = List.copyOf(new java.util.LinkedHashSet<>(units));
        prefixes = List.copyOf(new java.util.LinkedHashSet<>(prefixes));
        for (String u : units) {
            Objects.requireNonNull(u, "unit");
        }
        for (String p : prefixes) {
            if (p.isEmpty()) {
                throw new IllegalArgumentException("empty prefix");
            }
        }
    }

    /** Units listed inline: a cohort without a name. */
    public static Cohort inline(List<String> units) {
        return new Cohort(null, units, List.of(), null);
    }

    /** True when {@code name} may name a cohort: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit. */
    public static boolean isValidName(String name) {
        return name != null && name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    }

    /** Why a unit cannot be listed (empty, too long), or null when it can. */
    public static String unitProblem(String unit) {
        if (unit.isEmpty()) {
            return "a unit must not be empty";
        }
        if (WireLimits.unitTooLong(unit)) {
            return "unit '" + InputText.abbreviate(unit, 40) + "' is longer than " + WireLimits.MAX_UNIT_BYTES
                    + " bytes, the longest unit a read can name";
        }
        return null;
    }
}

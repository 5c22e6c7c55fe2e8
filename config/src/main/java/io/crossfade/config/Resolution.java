package io.crossfade.config;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What one unit reads for one key in one snapshot.
 *
 * @param key the key read
 * @param value the value the unit gets; callers must not mutate it
 * @param variant {@code static} without a migration, else {@code old} or {@code new}
 * @param migration the migration deciding the blend, or null
 * @param placement why the unit is on its side (a cohort or the percent); null without a migration
 */
public record Resolution(String key, JsonNode value, Variant variant, ActiveMigration migration, Placement placement) {

    /** A resolution without a placement (a static setting, or a prepared answer for a variant). */
    public Resolution(String key, JsonNode value, Variant variant, ActiveMigration migration) {
        this(key, value, variant, migration, null);
    }
}

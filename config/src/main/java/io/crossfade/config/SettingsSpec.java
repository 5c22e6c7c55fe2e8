package io.crossfade.config;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything the settings files declare, validated as a whole: settings by key, migrations by
 * the key of the setting they change, and the named cohorts by name. Immutable; maps iterate in key order.
 */
public record SettingsSpec(Map<String, Setting> settings, Map<String, MigrationSpec> migrations,
        Map<String, Cohort> cohorts) {

    /** The spec with nothing in it. */
    public static final SettingsSpec EMPTY = new SettingsSpec(Map.of(), Map.of());

    /** A spec without named cohorts. */
    public SettingsSpec(Map<String, Setting> settings, Map<String, MigrationSpec> migrations) {
        this(settings, migrations, Map.of());
    }

    public SettingsSpec {
        cohorts = Collections.unmodifiableMap(new TreeMap<>(cohorts));
        settings = Collections.unmodifiableMap(new TreeMap<>(settings));
        migrations = Collections.unmodifiableMap(new TreeMap<>(migrations));
        for (String key : migrations.keySet()) {
            if (!settings.containsKey(key)) {
                throw new IllegalArgumentException("migration of unknown setting " + key);
            }
        }
    }
}

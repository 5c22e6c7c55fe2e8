package io.crossfade.config;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything the settings files declare, validated as a whole: settings by key and migrations by
 * the key of the setting they change. Immutable; maps iterate in key order.
 */
public record SettingsSpec(Map<String, Setting> settings, Map<String, MigrationSpec> migrations) {

    /** The spec with nothing in it. */
    public static final SettingsSpec EMPTY = new SettingsSpec(Map.of(), Map.of());

    public SettingsSpec {
        settings = Collections.unmodifiableMap(new TreeMap<>(settings));
        migrations = Collections.unmodifiableMap(new TreeMap<>(migrations));
        for (String key : migrations.keySet()) {
            if (!settings.containsKey(key)) {
                throw new IllegalArgumentException("migration of unknown setting " + key);
            }
        }
    }
}

package io.crossfade.config;

import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One immutable, versioned view of every setting and every migration's current status. A reader
 * that holds a snapshot never sees half of a change: changes publish a new snapshot. Safe to share
 * between threads without locking.
 */
public final class SettingsSnapshot {

    private final long version;
    private final SettingsSpec spec;
    private final NavigableMap<String, ActiveMigration> migrations;

    /**
     * @param version strictly increasing across the snapshots a process publishes
     * @param spec the validated files
     * @param migrations the migrations' statuses by setting key; every key must be a migration of {@code spec}
     */
    public SettingsSnapshot(long version, SettingsSpec spec, Map<String, ActiveMigration> migrations) {
        this.version = version;
        this.spec = Objects.requireNonNull(spec, "spec");
        TreeMap<String, ActiveMigration> copy = new TreeMap<>(migrations);
        for (String key : copy.keySet()) {
            if (!spec.settings().containsKey(key)) {
                throw new IllegalArgumentException("migration of unknown setting " + key);
            }
        }
        this.migrations = Collections.unmodifiableNavigableMap(copy);
    }

    /** The snapshot's version; a new snapshot always has a larger one. */
    public long version() {
        return version;
    }

    /** The validated spec behind this snapshot. */
    public SettingsSpec spec() {
        return spec;
    }

    /** Migrations by setting key, in key order. */
    public NavigableMap<String, ActiveMigration> migrations() {
        return migrations;
    }

    /** The migration of {@code key}, or null. */
    public ActiveMigration migration(String key) {
        return migrations.get(key);
    }

    /** True when a setting named {@code key} exists. */
    public boolean contains(String key) {
        return spec.settings().containsKey(key);
    }

    /**
     * What {@code unit} reads for {@code key}; null when there is no such setting.
     *
     * @param unit the unit; must not be null (callers substitute the instance id)
     */
    public Resolution resolve(String key, String unit) {
        Setting setting = spec.settings().get(key);
        if (setting == null) {
            return null;
        }
        ActiveMigration migration = migrations.get(key);
        if (migration == null) {
            return new Resolution(key, setting.value(), Variant.STATIC, null);
        }
        Placement placement = migration.placementFor(unit);
        return new Resolution(key, migration.valueOf(placement.variant()), placement.variant(), migration, placement);
    }
}

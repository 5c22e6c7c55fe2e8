package io.crossfade.sidecar.read;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.crossfade.config.SettingsSnapshot;

/**
 * Read responses, serialised once per (snapshot version, key) for every variant and kept in a
 * Caffeine cache keyed by the setting key, so a read costs one hash lookup, the unit's bucketing and
 * an array index: no JSON serialisation and no allocation. An entry of an older snapshot is never
 * served (its version is checked on every read and it is replaced) and all entries are dropped when
 * a new snapshot is published. Thread-safe; {@link #prepared} never blocks on I/O.
 */
public final class ResponseCache {

    private final Cache<String, PreparedSetting> cache;

    /** @param maximumSize bound on the number of keys whose answers are kept */
    public ResponseCache(long maximumSize) {
        this.cache = Caffeine.newBuilder().maximumSize(maximumSize).recordStats().build();
    }

    /** The Caffeine cache, for metrics. */
    public Cache<String, ?> caffeine() {
        return cache;
    }

    /**
     * The prepared answers of {@code key} in {@code snapshot}, made on first use; null when the
     * snapshot has no such setting.
     */
    PreparedSetting prepared(SettingsSnapshot snapshot, String key) {
        PreparedSetting prepared = cache.getIfPresent(key);
        if (prepared != null && prepared.version() == snapshot.version()) {
            return prepared;
        }
        PreparedSetting fresh = PreparedSetting.of(snapshot, key);
        if (fresh == null) {
            return null;
        }
        // A reader still holding an older snapshot must not replace a newer entry.
        cache.asMap().merge(key, fresh, (old, made) -> old.version() >= made.version() ? old : made);
        return fresh;
    }

    /** Drops everything (after a new snapshot is published, old entries are dead weight). */
    public void invalidateAll() {
        cache.invalidateAll();
    }
}

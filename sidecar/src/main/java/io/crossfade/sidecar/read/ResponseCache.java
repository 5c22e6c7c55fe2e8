package io.crossfade.sidecar.read;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.crossfade.config.SettingsSnapshot;
import java.util.List;

/**
 * Read responses, serialised once per (snapshot version, key) for every variant and kept in a
 * Caffeine cache keyed by the setting key, so a read costs one hash lookup, the unit's bucketing and
 * an array index: no JSON serialisation and no allocation. An entry of an older snapshot is never
 * served (its version is checked on every read and it is replaced) and all entries are dropped when
 * a new snapshot is published. Further {@link ResponseForm}s given at construction (OFREP's) are
 * prepared and kept alongside, so every protocol reading through this cache serves answers decided by
 * the same bucketing of the same snapshot. Thread-safe; {@link #prepared} never blocks on I/O.
 */
public final class ResponseCache {

    private final Cache<String, PreparedSetting> cache;
    private final List<ResponseForm> forms;

    /** @param maximumSize bound on the number of keys whose answers are kept */
    public ResponseCache(long maximumSize) {
        this(maximumSize, List.of());
    }

    /**
     * @param maximumSize bound on the number of keys whose answers are kept
     * @param forms further forms prepared for every key and variant, served by {@link #answer}
     */
    public ResponseCache(long maximumSize, List<ResponseForm> forms) {
        this.cache = Caffeine.newBuilder().maximumSize(maximumSize).recordStats().build();
        this.forms = List.copyOf(forms);
    }

    /**
     * What {@code unit} reads for {@code key} in {@code snapshot}, written in {@code form} (one given
     * at construction): the same variant, by the same bucketing, as {@code GET /v1/settings/{key}}.
     * Never blocks; allocates nothing once the key's answers are prepared.
     *
     * @param unit the unit; not null (callers substitute the instance id)
     * @return the prepared answer, or null when the snapshot has no such setting
     * @throws IllegalArgumentException when {@code form} was not given at construction
     */
    public PreparedResponse answer(SettingsSnapshot snapshot, String key, String unit, ResponseForm form) {
        int index = forms.indexOf(form);
        if (index < 0) {
            throw new IllegalArgumentException("form not registered with this cache: " + form);
        }
        PreparedSetting setting = prepared(snapshot, key);
        return setting == null ? null : setting.response(unit, index);
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
        PreparedSetting fresh = PreparedSetting.of(snapshot, key, forms);
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

package io.crossfade.sidecar.read;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.crossfade.config.Percent;
import io.crossfade.config.Resolution;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.sidecar.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import java.io.UncheckedIOException;

/**
 * Read responses, serialised once per (snapshot version, key, variant, form) and kept in a Caffeine
 * cache, so a read costs a hash and a lookup rather than a JSON serialisation. Entries of old
 * versions are never served again (the version is part of the key) and age out by size.
 * Thread-safe; {@link #get} never blocks on I/O.
 */
public final class ResponseCache {

    private final Cache<ResponseKey, PreparedResponse> cache;

    /** @param maximumSize bound on prepared responses kept */
    public ResponseCache(long maximumSize) {
        this.cache = Caffeine.newBuilder().maximumSize(maximumSize).recordStats().build();
    }

    /** The Caffeine cache, for metrics. */
    public Cache<ResponseKey, PreparedResponse> caffeine() {
        return cache;
    }

    /** The prepared response for {@code resolution} in {@code snapshot}, made on first use. */
    PreparedResponse get(SettingsSnapshot snapshot, Resolution resolution, boolean bare) {
        ResponseKey key = new ResponseKey(snapshot.version(), resolution.key(), resolution.variant(), bare);
        return cache.get(key, k -> prepare(snapshot, resolution, bare));
    }

    /** Drops everything (after a new snapshot is published, old entries are dead weight). */
    public void invalidateAll() {
        cache.invalidateAll();
    }

    private static PreparedResponse prepare(SettingsSnapshot snapshot, Resolution r, boolean bare) {
        try {
            byte[] body;
            if (bare) {
                body = Json.MAPPER.writeValueAsBytes(r.value());
            } else {
                ObjectNode doc = Json.MAPPER.createObjectNode();
                doc.put("key", r.key());
                doc.set("value", r.value());
                doc.put("variant", r.variant().wireName());
                doc.put("version", snapshot.version());
                if (r.migration() == null) {
                    doc.putNull("migration");
                } else {
                    ObjectNode m = doc.putObject("migration");
                    m.put("id", r.migration().id());
                    m.put("percent", Percent.toDecimal(r.migration().status().effectivePercent()));
                    m.put("state", r.migration().status().state().wireName());
                }
                body = Json.MAPPER.writeValueAsBytes(doc);
            }
            String etag = "\"" + snapshot.version() + "-" + r.variant().wireName() + "\"";
            return new PreparedResponse(Buffer.buffer(body), HttpHeaders.createOptimized(etag),
                    HttpHeaders.createOptimized(r.variant().wireName()));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}

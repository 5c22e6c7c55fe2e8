package io.crossfade.sidecar.read;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.config.InputText;
import io.crossfade.config.Resolution;
import io.crossfade.config.Setting;
import io.crossfade.config.SettingKey;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.WireLimits;
import io.crossfade.sidecar.http.Endpoints;
import io.crossfade.sidecar.http.EntityTags;
import io.crossfade.sidecar.http.ErrorCode;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.http.QueryString;
import io.crossfade.sidecar.http.Routes;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.metrics.CrossfadeMetrics;
import io.crossfade.sidecar.rollout.Published;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;

/**
 * The read API: {@code GET /v1/settings/{key}}, {@code /v1/settings/{key}/value} and
 * {@code /v1/settings?prefix=}. Runs on the event loop and never blocks: it reads the current
 * snapshot (a volatile read), buckets the unit and serves a prepared response.
 */
public final class SettingsEndpoints implements Endpoints {

    private static final String PREFIX = "/v1/settings";
    private static final String VALUE_SUFFIX = "/value";
    private static final CharSequence VARIANT_HEADER = HttpHeaders.createOptimized("X-Crossfade-Variant");
    private static final CharSequence UNIT_HEADER = HttpHeaders.createOptimized("X-Crossfade-Unit");

    private final Published published;
    private final ResponseCache cache;
    private final CrossfadeMetrics metrics;
    private final String instanceId;

    public SettingsEndpoints(Published published, ResponseCache cache, CrossfadeMetrics metrics,
            String instanceId) {
        this.published = published;
        this.cache = cache;
        this.metrics = metrics;
        this.instanceId = instanceId;
    }

    @Override
    public void addRoutes(Routes routes) {
        routes.get(PREFIX, (request, params) -> list(request))
                .get(PREFIX + "/", (request, params) -> list(request))
                .get(PREFIX + "/*", (request, params) -> {
                    String rest = params.get("*");
                    boolean bare = rest.endsWith(VALUE_SUFFIX);
                    read(request, bare ? rest.substring(0, rest.length() - VALUE_SUFFIX.length()) : rest, bare);
                });
    }

    private void read(HttpServerRequest request, String key, boolean bare) {
        long started = System.nanoTime();
        SettingsSnapshot snapshot = published.current().snapshot();
        // A key with prepared answers is known, hence valid: the key rule is only checked on a miss.
        PreparedSetting setting = cache.prepared(snapshot, key);
        if (setting == null && !SettingKey.isValid(key)) {
            HttpResponses.error(request, ErrorCode.BAD_REQUEST, "invalid key '" + InputText.abbreviate(key, 80) + "': " + SettingKey.rule());
            return;
        }
        String unit = unit(request);
        if (unit == null) {
            return;
        }
        if (setting == null) {
            HttpResponses.error(request, ErrorCode.NOT_FOUND, "no setting named " + key);
            return;
        }
        PreparedResponse prepared = setting.response(unit, bare);
        HttpServerResponse response = request.response();
        response.putHeader(HttpHeaders.ETAG, prepared.etag()).putHeader(VARIANT_HEADER, prepared.variantHeader());
        if (EntityTags.noneMatch(request.getHeader(HttpHeaders.IF_NONE_MATCH), prepared.etag())) {
            response.setStatusCode(304).end();
        } else {
            response.putHeader(HttpHeaders.CONTENT_TYPE, HttpResponses.JSON);
            HttpResponses.end(request, prepared.body());
        }
        metrics.read(key, prepared.variant(), System.nanoTime() - started);
    }

    private void list(HttpServerRequest request) {
        // the Dispatcher has answered 400 for a query that cannot be decoded
        String prefix = QueryString.first(request.query(), "prefix");
        if (prefix == null) {
            prefix = "";
        }
        if (prefix.length() > 200) {
            HttpResponses.error(request, ErrorCode.BAD_REQUEST, "prefix is longer than a key can be (200 characters)");
            return;
        }
        String unit = unit(request);
        if (unit == null) {
            return;
        }
        SettingsSnapshot snapshot = published.current().snapshot();
        ObjectNode doc = Json.MAPPER.createObjectNode();
        doc.put("version", snapshot.version());
        ObjectNode settings = doc.putObject("settings");
        for (Setting s : snapshot.spec().settings().values()) {
            if (s.key().startsWith(prefix)) {
                Resolution r = snapshot.resolve(s.key(), unit);
                ObjectNode entry = settings.putObject(s.key()).put("variant", r.variant().wireName());
                entry.set("value", r.value());
                if (r.placement() != null && r.placement().byCohort() && r.migration().cohortsInEffect()) {
                    entry.put("placement", PreparedSetting.placementName(r.placement()));
                    entry.put("cohort", r.placement().cohort());
                }
            }
        }
        HttpResponses.json(request, 200, doc);
    }

    /** The unit from {@code ?unit=} or the header, else the instance id; null after answering 400. */
    private String unit(HttpServerRequest request) {
        String unit = QueryString.first(request.query(), "unit"); // decodable: the Dispatcher checked
        if (unit == null || unit.isEmpty()) {
            unit = headerAsUtf8(request.getHeader(UNIT_HEADER));
        }
        if (unit == null || unit.isEmpty()) {
            return instanceId;
        }
        if (WireLimits.unitTooLong(unit)) {
            HttpResponses.error(request, ErrorCode.BAD_REQUEST, "unit is longer than " + WireLimits.MAX_UNIT_BYTES + " bytes");
            return null;
        }
        return unit;
    }

    /**
     * A header value as the UTF-8 text the client sent. The HTTP decoder hands header bytes over one
     * char per byte (ISO-8859-1), while {@code ?unit=} is percent-decoded as UTF-8; without this a
     * non-ASCII unit would bucket differently depending on how it was passed.
     */
    public static String headerAsUtf8(String value) {
        if (value == null) {
            return null;
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) > 0x7F) {
                return new String(value.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            }
        }
        return value;
    }

}

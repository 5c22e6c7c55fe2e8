package io.crossfade.sidecar.ofrep;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.crossfade.config.InputText;
import io.crossfade.config.Setting;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.WireLimits;
import io.crossfade.sidecar.http.Endpoints;
import io.crossfade.sidecar.http.EntityTags;
import io.crossfade.sidecar.http.ErrorCode;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.http.RequestBodies;
import io.crossfade.sidecar.http.Routes;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.metrics.CrossfadeMetrics;
import io.crossfade.sidecar.read.PreparedResponse;
import io.crossfade.sidecar.read.ResponseCache;
import io.crossfade.sidecar.rollout.Published;
import io.crossfade.sidecar.rollout.PublishedState;
import io.crossfade.sidecar.watch.WatchEndpoint;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The OpenFeature Remote Evaluation Protocol (OFREP, open-feature/protocol v0.3) on the read
 * listener, so any OpenFeature SDK's OFREP provider reads settings as flags:
 *
 * <ul>
 *   <li>{@code POST /ofrep/v1/evaluate/flags/{key}}: one setting for the body's context;
 *   <li>{@code POST /ofrep/v1/evaluate/flags}: every setting, from one snapshot, with an {@code ETag}
 *       of the snapshot version and the context, and a 304 for a current {@code If-None-Match}
 *       before anything is evaluated; the answer advertises the change stream in {@code eventStreams};
 *   <li>{@code GET /ofrep/v1/events}: Server-Sent Events, {@code {"type":"refetchEvaluation","etag":…}}
 *       for every new snapshot;
 *   <li>{@code GET /ofrep/v1/configuration}: what this server supports.
 * </ul>
 *
 * <p>The context's {@code targetingKey} is the unit (absent or empty: the instance id). Values and
 * variants come from the read path's {@link ResponseCache}, in OFREP's form ({@link EvaluationSuccess}),
 * so an OFREP evaluation and {@code GET /v1/settings/{key}} always agree. Errors use OFREP's shapes
 * ({@link EvaluationFailure}); no input is answered with a 5xx. Runs on the event loop, never blocks.
 */
public final class OfrepEndpoints implements Endpoints {

    /** Prefix of every OFREP path. */
    public static final String PREFIX = "/ofrep/v1/";
    /** Bulk evaluation; single evaluation is below it. */
    public static final String EVALUATE = "/ofrep/v1/evaluate/flags";
    /** The provider configuration. */
    public static final String CONFIGURATION = "/ofrep/v1/configuration";
    /** The change stream advertised in bulk answers. */
    public static final String EVENTS = "/ofrep/v1/events";
    /** How long a client in the background keeps the change stream open (OFREP's default). */
    public static final int INACTIVITY_DELAY_SECONDS = 120;

    private static final byte[] NO_BODY = new byte[0];
    private static final Buffer FLAGS_START = Buffer.buffer("{\"flags\":[");
    private static final Buffer COMMA = Buffer.buffer(",");
    /**
     * OFREP's {@code eventStreams} entry: an SSE stream at {@code requestUri} on the origin the client
     * evaluates against (no {@code origin}, so it works on any address and on the Unix socket).
     */
    record EventStream(String type, Endpoint endpoint, int inactivityDelaySec) {
        record Endpoint(String requestUri) {
        }
    }

    /** OFREP's change notification event. */
    record RefetchEvaluation(String type, String etag) {
    }

    /** OFREP's {@code configurationResponse}. */
    record Configuration(String name, Capabilities capabilities) {
        record Capabilities(CacheInvalidation cacheInvalidation, FlagEvaluation flagEvaluation) {
        }

        record CacheInvalidation(Polling polling) {
        }

        record Polling(boolean enabled, long minPollingIntervalMs) {
        }

        record FlagEvaluation(List<String> supportedTypes) {
        }
    }

    private static final String EVENT_STREAMS = write(List.of(
            new EventStream("sse", new EventStream.Endpoint(EVENTS), INACTIVITY_DELAY_SECONDS)));
    private static final Buffer CONFIGURATION_BODY = Buffer.buffer(write(new Configuration("crossfade",
            new Configuration.Capabilities(
                    new Configuration.CacheInvalidation(new Configuration.Polling(true, 1000)),
                    new Configuration.FlagEvaluation(List.of("boolean", "string", "int", "float", "object"))))));
    private static final CharSequence CONFIGURATION_ETAG = HttpHeaders.createOptimized(
            "\"" + Integer.toHexString(Arrays.hashCode(CONFIGURATION_BODY.getBytes())) + "\"");

    private final Published published;
    private final ResponseCache cache;
    private final CrossfadeMetrics metrics;
    private final String instanceId;
    private final WatchEndpoint events;

    /**
     * Creates the endpoints and subscribes their change stream to {@code published}.
     *
     * @param cache the read path's cache; must have been built with {@link EvaluationSuccess#FORM}
     * @param instanceId the unit of evaluations without a {@code targetingKey}
     */
    public OfrepEndpoints(Published published, ResponseCache cache, CrossfadeMetrics metrics,
            String instanceId) {
        this.published = published;
        this.cache = cache;
        this.metrics = metrics;
        this.instanceId = instanceId;
        this.events = new WatchEndpoint(EVENTS, OfrepEndpoints::refetchEvent, "poll POST " + EVALUATE + " instead",
                published, WatchEndpoint.HEARTBEAT, WatchEndpoint.MAX_WATCHERS);
    }

    @Override
    public void addRoutes(Routes routes) {
        routes.post(EVALUATE, (request, params) -> withBody(request, body -> bulk(request, body)))
                .post(EVALUATE + "/*", (request, params) -> {
                    String key = params.get("*");
                    withBody(request, body -> single(request, key, body));
                })
                .get(CONFIGURATION, (request, params) -> configuration(request))
                .add(events);
    }

    /** Reads the body (at most 64 KiB, else 413), then hands it on. */
    private static void withBody(HttpServerRequest request, Consumer<byte[]> then) {
        RequestBodies.read(request).onComplete(read -> {
            if (read.succeeded()) {
                then.accept(read.result().length() == 0 ? NO_BODY : read.result().getBytes());
            } else if (read.cause() instanceof RequestBodies.TooLarge) {
                HttpResponses.error(request, ErrorCode.PAYLOAD_TOO_LARGE, WireLimits.BODY_TOO_LARGE);
            }
            // any other failure: the connection broke, there is nobody left to answer
        });
    }

    private void single(HttpServerRequest request, String key, byte[] body) {
        long started = System.nanoTime();
        EvaluationRequest asked;
        try {
            asked = EvaluationRequest.parse(body, false);
        } catch (InvalidEvaluationRequest e) {
            fail(request, key, e.code(), e.getMessage());
            return;
        }
        SettingsSnapshot snapshot = published.current().snapshot();
        PreparedResponse answer = cache.answer(snapshot, key, unit(asked), EvaluationSuccess.FORM);
        if (answer == null) {
            fail(request, key, OfrepErrorCode.FLAG_NOT_FOUND, "no setting named '" + abbreviate(key) + "'");
            return;
        }
        request.response().putHeader(HttpHeaders.CONTENT_TYPE, HttpResponses.JSON);
        HttpResponses.end(request, answer.body());
        metrics.read(key, answer.variant(), System.nanoTime() - started);
    }

    private void bulk(HttpServerRequest request, byte[] body) {
        EvaluationRequest asked;
        try {
            asked = EvaluationRequest.parse(body, true);
        } catch (InvalidEvaluationRequest e) {
            fail(request, null, e.code(), e.getMessage());
            return;
        }
        String unit = unit(asked);
        SettingsSnapshot snapshot = published.current().snapshot();
        String etag = "\"" + snapshot.version() + "-" + asked.contextTag(unit) + "\"";
        HttpServerResponse response = request.response().putHeader(HttpHeaders.ETAG, etag);
        if (EntityTags.noneMatch(request.getHeader(HttpHeaders.IF_NONE_MATCH), etag)) {
            response.setStatusCode(304).end(); // before evaluating anything
            return;
        }
        var settings = snapshot.spec().settings().values();
        Buffer out = Buffer.buffer(64 + settings.size() * 160).appendBuffer(FLAGS_START);
        boolean first = true;
        for (Setting setting : settings) {
            if (!first) {
                out.appendBuffer(COMMA);
            }
            first = false;
            out.appendBuffer(cache.answer(snapshot, setting.key(), unit, EvaluationSuccess.FORM).body());
        }
        out.appendString("],\"metadata\":{\"version\":" + snapshot.version() + "},\"eventStreams\":" + EVENT_STREAMS + "}");
        response.putHeader(HttpHeaders.CONTENT_TYPE, HttpResponses.JSON);
        HttpResponses.end(request, out);
    }

    private void configuration(HttpServerRequest request) {
        HttpServerResponse response = request.response().putHeader(HttpHeaders.ETAG, CONFIGURATION_ETAG);
        if (EntityTags.noneMatch(request.getHeader(HttpHeaders.IF_NONE_MATCH), CONFIGURATION_ETAG)) {
            response.setStatusCode(304).end();
        } else {
            HttpResponses.send(request, 200, CONFIGURATION_BODY);
        }
    }

    /** The context's unit, else the instance id. */
    private String unit(EvaluationRequest asked) {
        String unit = asked.targetingKey();
        return unit == null || unit.isEmpty() ? instanceId : unit;
    }

    private static void fail(HttpServerRequest request, String key, OfrepErrorCode code, String details) {
        HttpResponses.json(request, code.status(), new EvaluationFailure(key, code, details));
    }

    /**
     * OFREP's change notification for one publication: an SSE message event with the snapshot
     * version as its id and as the {@code etag} of the configuration. A client re-fetches its bulk
     * evaluation; its own entity tag (which also covers its context) decides whether that is a 304.
     */
    static String refetchEvent(PublishedState current, Set<String> changedKeys) {
        long version = current.snapshot().version();
        return "id: " + version + "\ndata: " + write(new RefetchEvaluation("refetchEvaluation", "\"" + version + "\""))
                + "\n\n";
    }

    private static String write(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String abbreviate(String s) {
        return InputText.abbreviate(s, 80);
    }
}

package io.crossfade.sidecar.read;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.SnapshotDocument;
import io.crossfade.sidecar.Json;
import io.crossfade.sidecar.http.Endpoints;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.rollout.RolloutController;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code GET /v1/snapshot}: the whole current snapshot as a {@link SnapshotDocument}, for clients that
 * evaluate locally (the Java client library). The document is serialised once per snapshot version
 * and then served from memory with {@code ETag: "<version>"}; {@code If-None-Match} with the current
 * version answers 304. Runs on the event loop and never blocks.
 */
public final class SnapshotEndpoint implements Endpoints {

    /** The path served. */
    public static final String PATH = "/v1/snapshot";

    private final RolloutController controller;
    private final String instanceId;
    private final AtomicReference<Prepared> prepared = new AtomicReference<>();

    /** The serialised document of one version. */
    private record Prepared(long version, Buffer body, CharSequence etag) {
    }

    /**
     * @param controller whose current snapshot is served
     * @param instanceId the unit of reads without one, told to clients so they bucket the same way
     */
    public SnapshotEndpoint(RolloutController controller, String instanceId) {
        this.controller = controller;
        this.instanceId = instanceId;
    }

    @Override
    public boolean handle(HttpServerRequest request) {
        if (!request.path().equals(PATH)) {
            return false;
        }
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            HttpResponses.methodNotAllowed(request, "GET, HEAD");
            return true;
        }
        Prepared document = current();
        HttpServerResponse response = request.response();
        response.putHeader(HttpHeaders.ETAG, document.etag());
        String ifNoneMatch = request.getHeader(HttpHeaders.IF_NONE_MATCH);
        if (ifNoneMatch != null && ifNoneMatch.contentEquals(document.etag())) {
            response.setStatusCode(304).end();
        } else {
            HttpResponses.send(request, 200, document.body());
        }
        return true;
    }

    /**
     * The document of the snapshot being served now. Two event loops may both serialise a new version
     * at the same moment; both produce the same bytes, and a newer version is never replaced by an older.
     */
    private Prepared current() {
        SettingsSnapshot snapshot = controller.current().snapshot();
        Prepared p = prepared.get();
        if (p != null && p.version() == snapshot.version()) {
            return p;
        }
        Prepared fresh = prepare(snapshot);
        prepared.accumulateAndGet(fresh, (old, neu) -> old == null || neu.version() > old.version() ? neu : old);
        return fresh;
    }

    private Prepared prepare(SettingsSnapshot snapshot) {
        try {
            byte[] bytes = Json.MAPPER.writeValueAsBytes(SnapshotDocument.write(snapshot, instanceId));
            return new Prepared(snapshot.version(), Buffer.buffer(bytes),
                    HttpHeaders.createOptimized("\"" + snapshot.version() + "\""));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}

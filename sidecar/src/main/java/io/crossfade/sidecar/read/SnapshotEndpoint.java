package io.crossfade.sidecar.read;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.SnapshotDocument;
import io.crossfade.sidecar.http.Endpoints;
import io.crossfade.sidecar.http.EntityTags;
import io.crossfade.sidecar.http.ErrorCode;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.http.Routes;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.Published;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/snapshot}: the whole current snapshot as a {@link SnapshotDocument}, for clients that
 * evaluate locally (the Java client library). The document is serialised once per snapshot, on a
 * worker thread as soon as the snapshot is published, and then served from memory with
 * {@code ETag: "<version>"}; {@code If-None-Match} naming it (weak, in a list, or {@code *}) answers
 * 304. Never serialises on an event loop: a request that arrives before its snapshot's document is
 * ready waits for it without blocking.
 */
public final class SnapshotEndpoint implements Endpoints {

    /** The path served. */
    public static final String PATH = "/v1/snapshot";

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotEndpoint.class);

    private final Vertx vertx;
    private final Published published;
    private final String instanceId;
    private final AtomicReference<Preparation> latest = new AtomicReference<>();

    /** The serialised document of one version. */
    private record Prepared(Buffer body, CharSequence etag) {
    }

    /** The document of {@code version}, ready or on its way. */
    private record Preparation(long version, Future<Prepared> document) {
    }

    /**
     * Creates the endpoint, prepares the current snapshot's document and each one published after it.
     *
     * @param vertx whose worker threads serialise the documents
     * @param published whose current snapshot is served
     * @param instanceId the unit of reads without one, told to clients so they bucket the same way
     */
    public SnapshotEndpoint(Vertx vertx, Published published, String instanceId) {
        this.vertx = vertx;
        this.published = published;
        this.instanceId = instanceId;
        published.onSnapshot((previous, current, changed) -> preparation(current.snapshot()));
        if (published.current() != null) {
            preparation(published.current().snapshot());
        }
    }

    @Override
    public void addRoutes(Routes routes) {
        routes.get(PATH, (request, params) -> serve(request));
    }

    private void serve(HttpServerRequest request) {
        Future<Prepared> document = preparation(published.current().snapshot()).document();
        if (document.succeeded()) {
            answer(request, document.result());
            return;
        }
        Context context = Vertx.currentContext();
        document.onComplete(done -> context.runOnContext(v -> {
            if (done.succeeded()) {
                answer(request, done.result());
            } else {
                LOG.error("the snapshot document could not be produced", done.cause());
                HttpResponses.error(request, ErrorCode.INTERNAL, "the snapshot could not be produced; see the log");
            }
        }));
    }

    private static void answer(HttpServerRequest request, Prepared document) {
        HttpServerResponse response = request.response();
        response.putHeader(HttpHeaders.ETAG, document.etag());
        if (EntityTags.noneMatch(request.getHeader(HttpHeaders.IF_NONE_MATCH), document.etag())) {
            response.setStatusCode(304).end();
        } else {
            HttpResponses.send(request, 200, document.body());
        }
    }

    /**
     * The preparation of {@code snapshot}'s document (or of a newer one, already published), started
     * on a worker thread by whoever asks first: the publication, or a request that overtook it. Each
     * version is serialised once; a newer version is never replaced by an older one.
     */
    private Preparation preparation(SettingsSnapshot snapshot) {
        while (true) {
            Preparation p = latest.get();
            if (p != null && p.version() >= snapshot.version()) {
                return p;
            }
            Promise<Prepared> promise = Promise.promise();
            Preparation fresh = new Preparation(snapshot.version(), promise.future());
            if (latest.compareAndSet(p, fresh)) {
                prepare(snapshot).onComplete(done -> {
                    if (done.succeeded()) {
                        promise.complete(done.result());
                    } else {
                        promise.fail(done.cause());
                    }
                });
                return fresh;
            }
        }
    }

    private Future<Prepared> prepare(SettingsSnapshot snapshot) {
        return vertx.executeBlocking(() -> {
            try {
                byte[] bytes = Json.MAPPER.writeValueAsBytes(SnapshotDocument.write(snapshot, instanceId));
                return new Prepared(Buffer.buffer(bytes), HttpHeaders.createOptimized("\"" + snapshot.version() + "\""));
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }, false);
    }
}

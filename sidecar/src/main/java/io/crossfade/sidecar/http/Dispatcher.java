package io.crossfade.sidecar.http;

import io.crossfade.config.InputText;
import io.crossfade.config.WireLimits;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's request handler: routes each request through one {@link Routes} table built from
 * its {@link Endpoints}, in order, and answers 404 when no route's path matches. Before any endpoint
 * sees a request, it enforces what holds for every path: a body over {@link WireLimits#MAX_BODY_BYTES} is 413 (declared, or counted as the body of a
 * GET or HEAD without a declared length arrives), and a query string that cannot be decoded is 400, so no endpoint can trip
 * over either. A bug in an endpoint answers 500 instead of leaving the client hanging.
 */
public final class Dispatcher implements Handler<HttpServerRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

    private final Routes routes = new Routes();
    private final HostCheck hostCheck;

    public Dispatcher(List<Endpoints> endpoints) {
        this(endpoints, HostCheck.OFF);
    }

    /** @param hostCheck the Host and Origin this listener answers ({@link HostCheck#OFF} for a Unix socket) */
    public Dispatcher(List<Endpoints> endpoints, HostCheck hostCheck) {
        endpoints.forEach(routes::add);
        this.hostCheck = hostCheck;
    }

    @Override
    public void handle(HttpServerRequest request) {
        try {
            if (!hostCheck.admit(request)) {
                return;
            }
            if (RequestBodies.declaredTooLarge(request)) {
                HttpResponses.error(request, ErrorCode.PAYLOAD_TOO_LARGE, WireLimits.BODY_TOO_LARGE);
                return;
            }
            String badQuery = undecodableQuery(request);
            if (badQuery != null) {
                HttpResponses.error(request, ErrorCode.BAD_REQUEST, "the query string cannot be decoded: " + badQuery);
                return;
            }
            if (hasUndeclaredBodyNobodyReads(request)) {
                // GET and HEAD endpoints answer without reading a body, so its size would go unchecked:
                // count it first (bounded), then route.
                RequestBodies.read(request).onComplete(body -> {
                    if (body.succeeded()) {
                        route(request);
                    } else if (body.cause() instanceof RequestBodies.TooLarge) {
                        HttpResponses.error(request, ErrorCode.PAYLOAD_TOO_LARGE, WireLimits.BODY_TOO_LARGE);
                    }
                    // any other failure: the connection broke, there is nobody left to answer
                });
                return;
            }
            route(request);
        } catch (RuntimeException e) {
            fail(request, e);
        }
    }

    private void route(HttpServerRequest request) {
        try {
            if (!routes.handle(request)) {
                HttpResponses.error(request, ErrorCode.NOT_FOUND, "nothing at " + request.path());
            }
        } catch (RuntimeException e) {
            fail(request, e);
        }
    }

    private static void fail(HttpServerRequest request, RuntimeException e) {
        LOG.error("unhandled failure answering {} {}", request.method(), request.path(), e);
        HttpResponses.error(request, ErrorCode.INTERNAL, "the sidecar failed to answer; see its log");
    }

    /**
     * Why the query cannot be decoded, or null. Checked without decoding it (no parameter map per
     * request); a null guarantees that neither Vert.x's {@code params()} nor {@link QueryString} throws.
     */
    private static String undecodableQuery(HttpServerRequest request) {
        String why = QueryString.malformation(request.query());
        return why == null ? null : InputText.abbreviate(why, 200);
    }

    /**
     * A GET or HEAD whose body, if any, has no declared length: chunked over HTTP/1.x, or any
     * HTTP/2 stream without {@code content-length} (there the body is just DATA frames, and Vert.x
     * delivers the stream's end right after its headers when there is none, so waiting costs
     * nothing).
     */
    private static boolean hasUndeclaredBodyNobodyReads(HttpServerRequest request) {
        HttpMethod method = request.method();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            return false;
        }
        if (request.version() == HttpVersion.HTTP_2) {
            return !request.headers().contains(HttpHeaders.CONTENT_LENGTH);
        }
        return request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
    }
}

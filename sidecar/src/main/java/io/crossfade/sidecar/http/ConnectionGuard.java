package io.crossfade.sidecar.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Enforces one listener's {@link ListenerLimits} on every server instance bound to it: counts open
 * connections and closes those over the cap, and answers 408 to a request whose body has not
 * arrived within the request timeout (a {@code Content-Length} longer than what is sent). Thread-safe:
 * the count is atomic; the timers of a connection run on its own event loop.
 *
 * <p>What it cannot see: Vert.x hands a connection to its connection handler only once the first
 * request head has been parsed, so a client that never finishes its first head (slowloris) is
 * neither counted nor timed here. The listener's idle timeout closes such a connection once it has
 * been silent for {@code --idle-timeout}; the first-request timer below covers the window between
 * a connection being handed over and its first request being dispatched.
 *
 * <p>Counted in {@code crossfade_http_connections{listener}} (open now),
 * {@code crossfade_http_connections_refused_total{listener}} and
 * {@code crossfade_http_timeouts_total{listener,phase="headers"|"body"}}. Idle closes are Vert.x's
 * own and are not counted.
 */
public final class ConnectionGuard {

    private final String listener;
    private final ListenerLimits limits;
    private final AtomicInteger open = new AtomicInteger();
    private final Counter refused;
    private final Counter headerTimeouts;
    private final Counter bodyTimeouts;

    public ConnectionGuard(String listener, ListenerLimits limits, MeterRegistry registry) {
        this.listener = listener;
        this.limits = limits;
        Gauge.builder("crossfade_http_connections", open, AtomicInteger::get).tag("listener", listener)
                .description("open connections of a listener").register(registry);
        refused = Counter.builder("crossfade_http_connections_refused").tag("listener", listener)
                .description("connections closed at once because the listener was at --max-connections")
                .register(registry);
        headerTimeouts = Counter.builder("crossfade_http_timeouts").tag("listener", listener).tag("phase", "headers")
                .description("connections or requests closed by --request-timeout").register(registry);
        bodyTimeouts = Counter.builder("crossfade_http_timeouts").tag("listener", listener).tag("phase", "body")
                .description("connections or requests closed by --request-timeout").register(registry);
    }

    /** The limits enforced. */
    public ListenerLimits limits() {
        return limits;
    }

    /** Connections open now. */
    public int open() {
        return open.get();
    }

    /** The guard's state for one server instance (one event loop): its connections awaiting a first request. */
    Instance instance(Vertx vertx) {
        return new Instance(vertx);
    }

    /** Per server instance; used only on that instance's event loop, so its map needs no lock. */
    final class Instance {

        private final Vertx vertx;
        private final java.util.Map<HttpConnection, Long> awaitingFirstRequest = new java.util.HashMap<>();

        private Instance(Vertx vertx) {
            this.vertx = vertx;
        }

        /** The server's connection handler: counts, caps, and arms the first-request timer. */
        void connected(HttpConnection connection) {
            if (open.incrementAndGet() > limits.maxConnections()) {
                open.decrementAndGet();
                refused.increment();
                connection.close();
                return;
            }
            long timer = vertx.setTimer(limits.requestTimeout().toMillis(), id -> {
                if (awaitingFirstRequest.remove(connection) != null) {
                    headerTimeouts.increment();
                    connection.close();
                }
            });
            awaitingFirstRequest.put(connection, timer);
            connection.closeHandler(v -> {
                open.decrementAndGet();
                Long pending = awaitingFirstRequest.remove(connection);
                if (pending != null) {
                    vertx.cancelTimer(pending);
                }
            });
        }

        /** Wraps the request handler with the first-request and body timers. */
        Handler<HttpServerRequest> wrap(Handler<HttpServerRequest> handler) {
            return request -> {
                if (!awaitingFirstRequest.isEmpty()) {
                    Long timer = awaitingFirstRequest.remove(request.connection());
                    if (timer != null) {
                        vertx.cancelTimer(timer);
                    }
                }
                if (hasBodyToCome(request)) {
                    // Fires once, harmlessly late when the body did arrive: cheaper than cancelling on
                    // every path that ends a request.
                    vertx.setTimer(limits.requestTimeout().toMillis(), id -> {
                        if (!request.isEnded() && !request.response().ended()) {
                            bodyTimeouts.increment();
                            request.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
                            HttpResponses.error(request, ErrorCode.REQUEST_TIMEOUT, "the request body did not arrive"
                                    + " within " + limits.requestTimeout().toSeconds() + " s (--request-timeout on the "
                                    + listener + " listener)");
                            request.connection().close();
                        }
                    });
                }
                handler.handle(request);
            };
        }
    }

    private static boolean hasBodyToCome(HttpServerRequest request) {
        if (request.isEnded()) {
            return false;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        return request.headers().contains(HttpHeaders.TRANSFER_ENCODING) || (length != null && !length.strip().equals("0"));
    }
}

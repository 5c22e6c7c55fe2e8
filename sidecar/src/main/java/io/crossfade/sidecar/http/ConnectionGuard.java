package io.crossfade.sidecar.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Enforces one listener's {@link ListenerLimits} on every server instance bound to it:
 * <ul>
 *   <li>a new connection must complete its first request head within {@code --header-timeout}, or it
 *       is closed (slowloris; a client that connects and sends nothing);</li>
 *   <li>a connection is charged to {@code --max-connections} from its first request on; the first
 *       request of a connection over the cap is answered 503 and the connection closed;</li>
 *   <li>a request whose body has not arrived within {@code --request-timeout} of its head (a
 *       {@code Content-Length} longer than what is sent) is answered 408 and its connection closed.</li>
 * </ul>
 * Connections still awaiting their first request are not charged to the cap, so a crowd of them
 * cannot lock out clients that do send requests; the header timeout bounds how long each holds a
 * descriptor, and the process-wide {@link DescriptorBudget} bounds how many there are: a connection
 * accepted over it sheds the oldest one still awaiting a head, on any listener. The listeners speak HTTP/1.x only ({@link HttpListener#defaultOptions}), so Vert.x hands
 * every connection to {@link Instance#connected} as soon as it is accepted.
 *
 * <p>Thread-safe: the counts are atomic; each connection's timers and bookkeeping run on its own
 * event loop. Counted in {@code crossfade_http_connections{listener}} (open and charged to the cap),
 * {@code crossfade_http_connections_awaiting_request{listener}},
 * {@code crossfade_http_connections_refused_total{listener}},
 * {@code crossfade_http_connections_shed_total{listener}} and
 * {@code crossfade_http_timeouts_total{listener,phase="headers"|"body"}}. Idle closes are Vert.x's
 * own and are not counted.
 */
public final class ConnectionGuard {

    private final String listener;
    private final ListenerLimits limits;
    private final DescriptorBudget budget;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger awaiting = new AtomicInteger();
    private final Counter refused;
    private final Counter shed;
    private final Counter headerTimeouts;
    private final Counter bodyTimeouts;

    /**
     * @param budget shared by every guarded listener of the process; see {@link DescriptorBudget}
     */
    public ConnectionGuard(String listener, ListenerLimits limits, DescriptorBudget budget, MeterRegistry registry) {
        this.listener = listener;
        this.limits = limits;
        this.budget = budget;
        Gauge.builder("crossfade_http_connections", open, AtomicInteger::get).tag("listener", listener)
                .description("open connections of a listener that have sent a request (charged to --max-connections)")
                .register(registry);
        Gauge.builder("crossfade_http_connections_awaiting_request", awaiting, AtomicInteger::get)
                .tag("listener", listener)
                .description("connections of a listener that have not completed a first request head yet")
                .register(registry);
        refused = Counter.builder("crossfade_http_connections_refused").tag("listener", listener)
                .description("connections closed at their first request because the listener was at --max-connections")
                .register(registry);
        shed = Counter.builder("crossfade_http_connections_shed").tag("listener", listener)
                .description("connections closed before their first request head because the process's descriptor"
                        + " budget was spent (the oldest awaiting a head goes first)")
                .register(registry);
        headerTimeouts = Counter.builder("crossfade_http_timeouts").tag("listener", listener).tag("phase", "headers")
                .description("connections closed by --header-timeout (first request head) or requests by"
                        + " --request-timeout (body)").register(registry);
        bodyTimeouts = Counter.builder("crossfade_http_timeouts").tag("listener", listener).tag("phase", "body")
                .description("connections closed by --header-timeout (first request head) or requests by"
                        + " --request-timeout (body)").register(registry);
    }

    /** The limits enforced. */
    public ListenerLimits limits() {
        return limits;
    }

    /** Connections open now that have sent a request. */
    public int open() {
        return open.get();
    }

    /** Connections open now that have not completed a first request head. */
    public int awaitingRequest() {
        return awaiting.get();
    }

    /** The guard's state for one server instance (one event loop). */
    Instance instance(Vertx vertx) {
        return new Instance(vertx);
    }

    /** Per server instance; used only on that instance's event loop, so its collections need no lock. */
    final class Instance {

        private final Vertx vertx;
        /** Connections without a first request, each with its header timer. */
        private final Map<HttpConnection, Long> awaitingFirstRequest = new HashMap<>();
        /** Connections charged to the cap. */
        private final Set<HttpConnection> charged = new HashSet<>();

        private Instance(Vertx vertx) {
            this.vertx = vertx;
        }

        /** The server's connection handler, called when a connection is accepted: arms the header timer. */
        void connected(HttpConnection connection) {
            if (!budget.admit(connection, shed)) {
                // Over budget with nothing awaiting a head to shed: this one goes, the process keeps
                // descriptors for the connections it serves.
                connection.closeHandler(v -> budget.release(connection));
                connection.close();
                return;
            }
            awaiting.incrementAndGet();
            long timer = vertx.setTimer(limits.headerTimeout().toMillis(), id -> {
                if (awaitingFirstRequest.remove(connection) != null) {
                    awaiting.decrementAndGet();
                    headerTimeouts.increment();
                    connection.close();
                }
            });
            awaitingFirstRequest.put(connection, timer);
            connection.closeHandler(v -> {
                budget.release(connection);
                Long pending = awaitingFirstRequest.remove(connection);
                if (pending != null) {
                    vertx.cancelTimer(pending);
                    awaiting.decrementAndGet();
                }
                if (charged.remove(connection)) {
                    open.decrementAndGet();
                }
            });
        }

        /** Wraps the request handler: charges a connection at its first request, and arms the body timer. */
        Handler<HttpServerRequest> wrap(Handler<HttpServerRequest> handler) {
            return request -> {
                if (!awaitingFirstRequest.isEmpty() && !firstRequest(request)) {
                    return;
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

        /** Charges the request's connection if this is its first request; false when refused (answered). */
        private boolean firstRequest(HttpServerRequest request) {
            HttpConnection connection = request.connection();
            Long timer = awaitingFirstRequest.remove(connection);
            if (timer == null) {
                return true;
            }
            vertx.cancelTimer(timer);
            awaiting.decrementAndGet();
            budget.headArrived(connection);
            if (open.incrementAndGet() > limits.maxConnections()) {
                open.decrementAndGet();
                refused.increment();
                request.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
                HttpResponses.error(request, ErrorCode.UNAVAILABLE, "the " + listener + " listener has "
                        + limits.maxConnections() + " connections open (--max-connections); try again shortly");
                connection.close();
                return false;
            }
            charged.add(connection);
            return true;
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

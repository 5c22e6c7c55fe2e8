package io.crossfade.sidecar.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.util.HashMap;
import java.util.Map;

/**
 * Enforces one listener's {@link ListenerLimits} on every server instance bound to it:
 * <ul>
 *   <li>a new connection must complete its first request head within {@code --header-timeout}, or it
 *       is closed (slowloris; a client that connects and sends nothing);</li>
 *   <li>a connection is charged to {@code --max-connections} from its first request on; at the cap,
 *       the kept-alive connection idle longest is closed to make room, and only when none is idle is
 *       the first request of a connection over the cap answered 503 and the connection closed; a
 *       connection that turns into a long-lived stream leaves the cap
 *       ({@link ListenerConnections#streamStarted});</li>
 *   <li>a request whose body has not arrived within {@code --request-timeout} of its head (a
 *       {@code Content-Length} longer than what is sent) is answered 408 and its connection closed.</li>
 * </ul>
 * Connections still awaiting their first request are not charged to the cap, so a crowd of them
 * cannot lock out clients that do send requests; the header timeout bounds how long each holds a
 * descriptor, and the process-wide {@link DescriptorBudget} bounds how many there are: a connection
 * accepted over it sheds the oldest one still awaiting a head, on any listener. The cap and the
 * budget are {@link ListenerConnections}'s, which the proxy listener shares without these timeouts.
 * The listeners speak HTTP/1.x only ({@link HttpListener#defaultOptions}), so Vert.x hands every
 * connection to {@link Instance#connected} as soon as it is accepted.
 *
 * <p>Thread-safe: each connection's timers and bookkeeping run on its own event loop. Counted in
 * {@link ListenerConnections}'s metrics and
 * {@code crossfade_http_timeouts_total{listener,phase="headers"|"body"}}. Idle closes are Vert.x's
 * own and are not counted.
 */
public final class ConnectionGuard {

    private final String listener;
    private final ListenerLimits limits;
    private final ListenerConnections connections;
    private final Counter headerTimeouts;
    private final Counter bodyTimeouts;

    /**
     * @param budget shared by every listener of the process; see {@link DescriptorBudget}
     */
    public ConnectionGuard(String listener, ListenerLimits limits, DescriptorBudget budget, MeterRegistry registry) {
        this.listener = listener;
        this.limits = limits;
        this.connections = new ListenerConnections(listener, limits.maxConnections(), budget, registry);
        headerTimeouts = timeouts(registry, listener, "headers");
        bodyTimeouts = timeouts(registry, listener, "body");
    }

    /**
     * The counter {@code crossfade_http_timeouts_total{listener,phase}}: connections closed because a
     * request head did not complete in time ({@code phase="headers"}) or requests answered 408 because
     * their body did not ({@code phase="body"}). Shared with the proxy listener, whose header deadline
     * is its own.
     */
    public static Counter timeouts(MeterRegistry registry, String listener, String phase) {
        return Counter.builder("crossfade_http_timeouts").tag("listener", listener).tag("phase", phase)
                .description("connections closed because a request head did not complete in time (headers) or"
                        + " requests answered 408 because their body did not (body)").register(registry);
    }

    /** The limits enforced. */
    public ListenerLimits limits() {
        return limits;
    }

    /** Connections open now that have sent a request. */
    public int open() {
        return connections.open();
    }

    /** Connections open now that have not completed a first request head. */
    public int awaitingRequest() {
        return connections.awaitingRequest();
    }

    /** The guard's state for one server instance (one event loop). */
    Instance instance(Vertx vertx) {
        return new Instance(vertx);
    }

    /** Per server instance; used only on that instance's event loop, so its collections need no lock. */
    final class Instance {

        private final Vertx vertx;
        /** Connections without a first request, each with its place in the counts and its header timer. */
        private final Map<HttpConnection, Awaiting> awaitingFirstRequest = new HashMap<>();

        private Instance(Vertx vertx) {
            this.vertx = vertx;
        }

        /** The server's connection handler, called when a connection is accepted: arms the header timer. */
        void connected(HttpConnection connection) {
            ListenerConnections.Client client = connections.accept(connection);
            if (client == null) {
                return; // closed for the descriptor budget
            }
            long timer = vertx.setTimer(limits.headerTimeout().toMillis(), id -> {
                if (awaitingFirstRequest.remove(connection) != null) {
                    headerTimeouts.increment();
                    connection.close();
                }
            });
            awaitingFirstRequest.put(connection, new Awaiting(client, timer));
            connection.closeHandler(v -> {
                client.closed();
                Awaiting pending = awaitingFirstRequest.remove(connection);
                if (pending != null) {
                    vertx.cancelTimer(pending.timer());
                }
            });
        }

        /** Wraps the request handler: charges a connection at its first request, and arms the body timer. */
        Handler<HttpServerRequest> wrap(Handler<HttpServerRequest> handler) {
            return request -> {
                if (!awaitingFirstRequest.isEmpty() && !firstRequest(request)) {
                    return;
                }
                ListenerConnections.Client client = ListenerConnections.of(request);
                if (client != null) {
                    // in flight until its response ends; then idle, and the first to make room at the cap
                    client.requestStarted();
                    request.response().endHandler(v -> client.requestEnded());
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
            Awaiting pending = awaitingFirstRequest.remove(request.connection());
            if (pending == null) {
                return true;
            }
            vertx.cancelTimer(pending.timer());
            return pending.client().firstRequest(request);
        }
    }

    /** A connection awaiting its first request head: its place in the counts and its header timer. */
    private record Awaiting(ListenerConnections.Client client, long timer) {
    }

    private static boolean hasBodyToCome(HttpServerRequest request) {
        if (request.isEnded()) {
            return false;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        return request.headers().contains(HttpHeaders.TRANSFER_ENCODING) || (length != null && !length.strip().equals("0"));
    }
}

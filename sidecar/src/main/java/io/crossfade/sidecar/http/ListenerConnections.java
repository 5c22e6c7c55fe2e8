package io.crossfade.sidecar.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One listener's count of its client connections, shared by all its server instances (one per event
 * loop), and the one place that admits them: every accepted connection takes a unit of the process's
 * {@link DescriptorBudget} (over it, the oldest connection still awaiting a first request head, on any
 * listener, is shed), and from its first request on is charged to {@code --max-connections}; the
 * first request of a connection over the cap is answered 503 and the connection closed.
 *
 * <p>Timeouts are not kept here: each kind of listener has its own ({@link ConnectionGuard} for the
 * read, ops and Unix listeners; the proxy its own deadlines). A listener reports each connection's
 * life through the {@link Client} that {@link #accept} returns.
 *
 * <p>Thread-safe: the counts are atomic; each {@link Client} is used on its connection's event loop.
 * Counted in {@code crossfade_http_connections{listener}} (open and charged to the cap),
 * {@code crossfade_http_connections_awaiting_request{listener}},
 * {@code crossfade_http_connections_refused_total{listener}} and
 * {@code crossfade_http_connections_shed_total{listener}}.
 */
public final class ListenerConnections {

    private final String listener;
    private final int maxConnections;
    private final DescriptorBudget budget;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger awaiting = new AtomicInteger();
    private final Counter refused;
    private final Counter shed;

    /**
     * @param maxConnections {@code --max-connections}: connections of this listener, across its
     *     instances, that have sent a request and are open
     * @param budget shared by every listener of the process
     */
    public ListenerConnections(String listener, int maxConnections, DescriptorBudget budget, MeterRegistry registry) {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("--max-connections must be at least 1, found " + maxConnections);
        }
        this.listener = listener;
        this.maxConnections = maxConnections;
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
    }

    /** Connections open now that have sent a request. */
    public int open() {
        return open.get();
    }

    /** Connections open now that have not completed a first request head. */
    public int awaitingRequest() {
        return awaiting.get();
    }

    /**
     * A connection was just accepted: it takes a unit of the descriptor budget and awaits its first
     * request head. Call on the connection's event loop, before anything else is done with it.
     *
     * @return its place in the counts, to be told of its first request and of its close; null when the
     *     budget had no room and no connection to shed for it, in which case the connection is being
     *     closed and its unit returns by itself
     */
    public Client accept(HttpConnection connection) {
        if (!budget.admit(connection, shed)) {
            // Over budget with nothing awaiting a head to shed: this one goes, the process keeps
            // descriptors for the connections it serves.
            connection.closeHandler(v -> budget.release(connection));
            connection.close();
            return null;
        }
        awaiting.incrementAndGet();
        return new Client(connection);
    }

    /** One accepted connection's place in its listener's counts. Used on the connection's event loop only. */
    public final class Client {

        private static final int AWAITING_HEAD = 0;
        private static final int CHARGED = 1;
        private static final int UNCHARGED = 2;
        private static final int CLOSED = 3;

        private final HttpConnection connection;
        private int phase = AWAITING_HEAD;

        private Client(HttpConnection connection) {
            this.connection = connection;
        }

        /** True until the connection's first request head arrives or it closes. */
        public boolean awaitingHead() {
            return phase == AWAITING_HEAD;
        }

        /**
         * The connection's first request head arrived: it is no longer a candidate to shed, and is
         * charged to {@code --max-connections}. Over the cap, {@code request} is answered 503 in the
         * contract's error shape and the connection closed. Later requests need no call.
         *
         * @return true when the request may be served; false when it was answered here
         */
        public boolean firstRequest(HttpServerRequest request) {
            if (phase != AWAITING_HEAD) {
                return phase != UNCHARGED;
            }
            awaiting.decrementAndGet();
            budget.headArrived(connection);
            if (open.incrementAndGet() > maxConnections) {
                open.decrementAndGet();
                phase = UNCHARGED;
                refused.increment();
                request.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
                HttpResponses.error(request, ErrorCode.UNAVAILABLE, "the " + listener + " listener has "
                        + maxConnections + " connections open (--max-connections); try again shortly");
                connection.close();
                return false;
            }
            phase = CHARGED;
            return true;
        }

        /** The connection closed: its unit returns to the budget and it leaves the counts. Idempotent. */
        public void closed() {
            switch (phase) {
                case CLOSED -> {
                    return;
                }
                case AWAITING_HEAD -> awaiting.decrementAndGet();
                case CHARGED -> open.decrementAndGet();
                default -> {
                    // refused at its first request: counted nowhere but in the budget
                }
            }
            phase = CLOSED;
            budget.release(connection);
        }
    }
}

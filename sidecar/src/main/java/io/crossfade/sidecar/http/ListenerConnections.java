package io.crossfade.sidecar.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.netty.util.AttributeKey;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One listener's count of its client connections, shared by all its server instances (one per event
 * loop), and the one place that admits them: every accepted connection takes a unit of the process's
 * {@link DescriptorBudget} (over it, the oldest connection still awaiting a first request head, on any
 * listener, is shed), and from its first request on is charged to {@code --max-connections}; the
 * first request of a connection over the cap is answered 503 and the connection closed, unless an
 * idle kept-alive connection can make room: the one idle longest is closed first (its client
 * reconnects when it next needs to, as after any keep-alive timeout). A connection that becomes a
 * long-lived stream ({@code /v1/watch}, OFREP's event stream: {@link #streamStarted}) leaves the cap,
 * so that a thousand streams cannot lock out reads; streams have their own cap at their endpoint.
 *
 * <p>Timeouts are not kept here: each kind of listener has its own ({@link ConnectionGuard} for the
 * read, ops and Unix listeners; the proxy its own deadlines). A listener reports each connection's
 * life through the {@link Client} that {@link #accept} returns.
 *
 * <p>Thread-safe: the counts are atomic; each {@link Client} is used on its connection's event loop.
 * Counted in {@code crossfade_http_connections{listener}} (open and charged to the cap),
 * {@code crossfade_http_connections_awaiting_request{listener}},
 * {@code crossfade_http_connections_idle{listener}} (charged, no request in flight),
 * {@code crossfade_http_streams{listener}} (open streams, not charged),
 * {@code crossfade_http_connections_refused_total{listener}},
 * {@code crossfade_http_connections_shed_total{listener}} (closed for the descriptor budget) and
 * {@code crossfade_http_idle_connections_shed_total{listener}} (idle kept-alive connections closed to
 * make room at the cap).
 *
 * <p>What can be lost: an idle connection picked to make room may, in the same microseconds,
 * receive a new request on its own event loop; that request is cut with the connection, as it would
 * be by any keep-alive timeout, and an HTTP client retries it.
 */
public final class ListenerConnections {

    private final String listener;
    private final int maxConnections;
    private final DescriptorBudget budget;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger awaiting = new AtomicInteger();
    private final AtomicInteger streams = new AtomicInteger();
    /** Charged connections with no request in flight, by when they became idle (oldest first). */
    private final ConcurrentSkipListMap<Long, Client> idle = new ConcurrentSkipListMap<>();
    private final AtomicLong idleOrder = new AtomicLong();
    private final Counter refused;
    private final Counter shed;
    private final Counter idleShed;

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
        Gauge.builder("crossfade_http_streams", streams, AtomicInteger::get).tag("listener", listener)
                .description("long-lived streams open on a listener (/v1/watch, OFREP's events), not charged to"
                        + " --max-connections")
                .register(registry);
        Gauge.builder("crossfade_http_connections_idle", idle, Map::size).tag("listener", listener)
                .description("kept-alive connections of a listener with no request in flight, the first to make room"
                        + " at --max-connections")
                .register(registry);
        idleShed = Counter.builder("crossfade_http_idle_connections_shed").tag("listener", listener)
                .description("idle kept-alive connections closed, oldest first, to make room for a new one at"
                        + " --max-connections")
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

    /** Long-lived streams open now, not charged to the cap. */
    public int streams() {
        return streams.get();
    }

    /**
     * The place in its listener's counts of the connection {@code request} came on, or null when the
     * connection is not counted (a listener without limits, an HTTP/2 stream).
     */
    public static Client of(HttpServerRequest request) {
        HttpConnection connection = request.connection();
        if (connection instanceof ConnectionBase base) {
            return base.channel().attr(CLIENT).get();
        }
        return null;
    }

    /**
     * The request's connection now carries a long-lived stream ({@code /v1/watch}, OFREP's event
     * stream) until it closes: it leaves {@code --max-connections} and is counted among the
     * listener's streams, whose cap the stream's endpoint keeps. Call on the request's event loop.
     */
    public static void streamStarted(HttpServerRequest request) {
        Client client = of(request);
        if (client != null) {
            client.becameStream();
        }
    }

    /**
     * Closes the connection idle longest to make room for a new one; false when none is idle. Its
     * charge passes to the new connection at once, so the count never goes over the cap.
     */
    private boolean shedOldestIdle() {
        while (true) {
            Map.Entry<Long, Client> oldest = idle.pollFirstEntry();
            if (oldest == null) {
                return false;
            }
            Client victim = oldest.getValue();
            if (victim.charged.compareAndSet(true, false)) {
                open.decrementAndGet();
                idleShed.increment();
                victim.connection.close();
                return true;
            }
            // closed or turned into a stream meanwhile: its place was given back already
        }
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
        Client client = new Client(connection);
        if (connection instanceof ConnectionBase base) {
            base.channel().attr(CLIENT).set(client);
        }
        return client;
    }

    private static final AttributeKey<Client> CLIENT = AttributeKey.valueOf("crossfade-listener-connections-client");

    /** One accepted connection's place in its listener's counts. Used on the connection's event loop only. */
    public final class Client {

        private static final int AWAITING_HEAD = 0;
        private static final int CHARGED = 1;
        private static final int UNCHARGED = 2;
        private static final int CLOSED = 3;

        private final HttpConnection connection;
        private int phase = AWAITING_HEAD;
        /**
         * True while the connection holds a place under the cap; whoever takes it away (its close,
         * its becoming a stream, or another connection shedding it from another event loop) is the
         * one that gives the place back.
         */
        private final java.util.concurrent.atomic.AtomicBoolean charged = new java.util.concurrent.atomic.AtomicBoolean();
        private int inFlight;
        /** Its key in {@link #idle} while listed there; else -1. */
        private long idleKey = -1;
        private boolean stream;

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
            if (open.incrementAndGet() > maxConnections && !shedOldestIdle()) {
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
            charged.set(true);
            return true;
        }

        /** A request started on the connection (any, the first included): it is not idle. */
        public void requestStarted() {
            inFlight++;
            if (idleKey != -1) {
                idle.remove(idleKey);
                idleKey = -1;
            }
        }

        /**
         * A request's response ended: with none left in flight, the connection is idle and the first
         * to go when a new one needs its place.
         */
        public void requestEnded() {
            if (inFlight > 0) {
                inFlight--;
            }
            if (inFlight == 0 && phase == CHARGED && !stream && charged.get() && idleKey == -1) {
                idleKey = idleOrder.incrementAndGet();
                idle.put(idleKey, this);
            }
        }

        private void becameStream() {
            if (stream || phase == CLOSED) {
                return;
            }
            stream = true;
            streams.incrementAndGet();
            if (idleKey != -1) {
                idle.remove(idleKey);
                idleKey = -1;
            }
            if (charged.compareAndSet(true, false)) {
                open.decrementAndGet();
            }
        }

        /** The connection closed: its unit returns to the budget and it leaves the counts. Idempotent. */
        public void closed() {
            switch (phase) {
                case CLOSED -> {
                    return;
                }
                case AWAITING_HEAD -> awaiting.decrementAndGet();
                case CHARGED -> {
                    if (charged.compareAndSet(true, false)) {
                        open.decrementAndGet();
                    }
                }
                default -> {
                    // refused at its first request: counted nowhere but in the budget
                }
            }
            if (idleKey != -1) {
                idle.remove(idleKey);
                idleKey = -1;
            }
            if (stream) {
                streams.decrementAndGet();
            }
            phase = CLOSED;
            budget.release(connection);
        }
    }
}

package io.crossfade.sidecar.http;

import java.time.Duration;
import java.util.Objects;

/**
 * How long a client may take and how many may connect, per listener, so that slow or hostile
 * clients cannot hold a listener's connections or descriptors. Immutable, validated.
 *
 * @param idleTimeout {@code --idle-timeout}: a connection with no traffic either way for this long is
 *     closed (the watch stream's 15 s heartbeat keeps a live stream open); a kept-alive connection
 *     whose next request head trickles in is closed by this too, as it never completes a request
 * @param requestTimeout {@code --request-timeout}: a request's body must arrive within this time of its
 *     head; otherwise 408 and the connection is closed
 * @param maxConnections {@code --max-connections}: connections per listener that have sent a request
 *     and are open; the first request of one more is answered 503 and its connection closed, so
 *     well-behaved clients and the process keep descriptors to work with
 * @param headerTimeout {@code --header-timeout}: a new connection must complete its first request head
 *     within this time of connecting; otherwise it is closed (slowloris, or a client that connects
 *     and says nothing). Such connections are not charged to {@code maxConnections}, so they cannot
 *     crowd out clients that do send requests; this timeout is what bounds them
 */
public record ListenerLimits(Duration idleTimeout, Duration requestTimeout, int maxConnections, Duration headerTimeout) {

    /** 120 s idle, 10 s per first request head and per body, 1000 connections per listener. */
    public static final ListenerLimits DEFAULTS = new ListenerLimits(Duration.ofSeconds(120), Duration.ofSeconds(10),
            1000, Duration.ofSeconds(10));

    public ListenerLimits {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(headerTimeout, "headerTimeout");
        positive("--idle-timeout", idleTimeout);
        positive("--request-timeout", requestTimeout);
        positive("--header-timeout", headerTimeout);
        if (maxConnections < 1) {
            throw new IllegalArgumentException("--max-connections must be at least 1, found " + maxConnections);
        }
    }

    /** As before {@code --header-timeout} existed: the first head gets {@code requestTimeout}. */
    public ListenerLimits(Duration idleTimeout, Duration requestTimeout, int maxConnections) {
        this(idleTimeout, requestTimeout, maxConnections, requestTimeout);
    }

    private static void positive(String flag, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(flag + " must be longer than zero, found " + value);
        }
    }
}

package io.crossfade.sidecar.http;

import java.time.Duration;
import java.util.Objects;

/**
 * How long a client may take and how many may connect, per listener, so that slow or hostile
 * clients cannot hold a listener's connections or descriptors. Immutable, validated.
 *
 * @param idleTimeout {@code --idle-timeout}: a connection with no traffic either way for this long is
 *     closed, also one stuck in a half-sent head (the watch stream's 15 s heartbeat keeps a live
 *     stream open)
 * @param requestTimeout {@code --request-timeout}: a request's body must arrive within this time of its
 *     head; otherwise 408 and the connection is closed
 * @param maxConnections {@code --max-connections}: open connections per listener; one more is closed
 *     at once, so well-behaved clients and the process keep descriptors to work with
 */
public record ListenerLimits(Duration idleTimeout, Duration requestTimeout, int maxConnections) {

    /** 120 s idle, 10 s per request head or body, 1000 connections per listener. */
    public static final ListenerLimits DEFAULTS = new ListenerLimits(Duration.ofSeconds(120), Duration.ofSeconds(10),
            1000);

    public ListenerLimits {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("--idle-timeout must be longer than zero, found " + idleTimeout);
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("--request-timeout must be longer than zero, found " + requestTimeout);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("--max-connections must be at least 1, found " + maxConnections);
        }
    }
}

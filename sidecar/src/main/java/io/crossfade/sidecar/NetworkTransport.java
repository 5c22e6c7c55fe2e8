package io.crossfade.sidecar;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.transport.Transport;
import java.util.Locale;

/**
 * Which of Vert.x's network transports the sidecar's event loops run on ({@code --transport}).
 *
 * <p>{@link #AUTO}, the default, takes the cheapest one this kernel and container allow: io_uring,
 * else epoll, else Java's NIO. io_uring costs about a third less CPU per proxied request than epoll
 * on the benchmark machine (BENCHMARKS.md, "io_uring"); the default seccomp profiles of
 * container runtimes (Docker's, Kubernetes' {@code RuntimeDefault}) forbid its system calls, and there
 * AUTO lands on epoll. An explicit choice that is not available stops the start with the reason, rather
 * than running on something else than was asked for.
 */
public enum NetworkTransport {
    AUTO("auto"),
    IO_URING("io_uring"),
    EPOLL("epoll"),
    NIO("nio");

    private final String flagValue;

    NetworkTransport(String flagValue) {
        this.flagValue = flagValue;
    }

    /**
     * Parses a {@code --transport} value, in any case; null or blank is {@link #AUTO}.
     *
     * @throws IllegalArgumentException naming the flag and the values it takes
     */
    public static NetworkTransport parse(String text) {
        if (text == null || text.isBlank()) {
            return AUTO;
        }
        String wanted = text.strip().toLowerCase(Locale.ROOT);
        for (NetworkTransport t : values()) {
            if (t.flagValue.equals(wanted)) {
                return t;
            }
        }
        throw new IllegalArgumentException("--transport must be auto, io_uring, epoll or nio, not '" + text + "'");
    }

    /** A started Vert.x and the line the log says about its transport. */
    public record Opened(Vertx vertx, String description) {
    }

    /** The transport to start on and what the log says about it. */
    record Choice(Transport transport, String description) {
    }

    /** Whether a transport can run here, and why not: Vert.x's answer, or a test's. */
    interface Availability {
        boolean available(Transport transport);

        /** Why {@code transport} cannot run here; only asked when it cannot. */
        String cause(Transport transport);

        /** What the native libraries and the kernel say. */
        Availability HERE = new Availability() {
            @Override
            public boolean available(Transport transport) {
                return transport.available();
            }

            @Override
            public String cause(Transport transport) {
                return NetworkTransport.cause(transport);
            }
        };
    }

    /**
     * Starts Vert.x with {@code options} on this choice's transport.
     *
     * @throws IllegalStateException when an explicitly chosen native transport is not available here,
     *     with the reason the native library gave
     */
    public Opened open(VertxOptions options) {
        Choice choice = choose(Availability.HERE);
        return new Opened(Vertx.builder().with(options).withTransport(choice.transport()).build(), choice.description());
    }

    /** The transport this choice comes to where {@code here} says what is available. */
    Choice choose(Availability here) {
        return switch (this) {
            case AUTO -> {
                if (here.available(Transport.IO_URING)) {
                    yield new Choice(Transport.IO_URING, "native (io_uring)");
                }
                String noUring = "io_uring unavailable: " + here.cause(Transport.IO_URING);
                if (here.available(Transport.EPOLL)) {
                    yield new Choice(Transport.EPOLL, "native (epoll); " + noUring);
                }
                yield new Choice(Transport.NIO, "NIO, native transport unavailable: " + noUring + "; epoll unavailable: "
                        + here.cause(Transport.EPOLL));
            }
            case IO_URING -> explicit(here, Transport.IO_URING, "native (io_uring)");
            case EPOLL -> explicit(here, Transport.EPOLL, "native (epoll)");
            case NIO -> new Choice(Transport.NIO, "NIO (--transport nio)");
        };
    }

    private Choice explicit(Availability here, Transport transport, String description) {
        if (!here.available(transport)) {
            throw new IllegalStateException("--transport " + flagValue + " is not available here: " + here.cause(transport));
        }
        return new Choice(transport, description);
    }

    private static String cause(Transport transport) {
        Throwable cause = transport.unavailabilityCause();
        if (cause == null) {
            return "unknown reason";
        }
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.toString() : message;
    }
}

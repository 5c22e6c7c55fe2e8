package io.crossfade.sidecar.proxy;

import io.crossfade.sidecar.http.ListenerConnections;
import io.micrometer.core.instrument.Counter;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's watch over each client connection. It closes connections that hold a place without
 * using it: a request whose headers do not complete within {@link #HEADERS} of their first byte (a
 * slowloris client trickling them) is answered 408 and the connection closed, and a keep-alive
 * connection idle for {@link #IDLE} between requests is closed. Vert.x's own idle timeout cannot tell
 * the two apart (any byte resets it) and would also cut a request waiting on a slow upstream, which
 * {@code --upstream-timeout} bounds. And it reports the connection to the proxy listener's
 * {@link ListenerConnections}: admitted into the process's descriptor budget when accepted, charged
 * to {@code --max-connections} at its first request (a field check per request, no more), let go
 * when it closes.
 *
 * <p>A Netty handler at the head of the connection's pipeline: it sees bytes arrive before the HTTP
 * decoder does. Everything runs on the connection's event loop, which is also the thread of the
 * proxy's request handler, so no state is shared across threads. Slow heads are counted in
 * {@code crossfade_http_timeouts_total{listener="proxy",phase="headers"}}; idle closes, as on every
 * listener, are not.
 */
final class RequestDeadlines extends ChannelInboundHandlerAdapter {

    /** Longest time from a request's first byte to its last header. */
    static final long HEADERS = TimeUnit.SECONDS.toMillis(10);
    /** Longest idle time of a kept-alive connection between requests (nginx's keepalive_timeout). */
    static final long IDLE = TimeUnit.SECONDS.toMillis(75);

    private static final String NAME = "crossfade-request-deadlines";
    private static final byte[] REQUEST_TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\n"
            + "content-type: application/json; charset=utf-8\r\nconnection: close\r\ncontent-length: 82\r\n\r\n"
            + "{\"error\":\"bad_request\",\"message\":\"the request headers did not arrive within 10 s\"}")
            .getBytes(StandardCharsets.US_ASCII);

    private ChannelHandlerContext context;
    /** The connection's place in the listener's counts until its first request head; then null. */
    private ListenerConnections.Client awaitingFirstHead;
    /** The connection's place in the listener's counts, for its whole life. */
    private final ListenerConnections.Client client;
    private boolean inRequest;
    /** A request's first bytes arrived and its headers are not complete yet. */
    private boolean inHeaders;
    /** When the current request's first bytes arrived ({@link System#nanoTime}), while {@link #inHeaders}. */
    private long headersSince;
    /** When the connection last became idle ({@link System#nanoTime}), while neither in a request nor its headers. */
    private long idleSince;
    private ScheduledFuture<?> timer;
    private final Runnable check = this::check;
    private final Counter headerTimeouts;

    /**
     * The proxy server's connection handler: admits a new connection into {@code connections} and
     * installs the deadlines on it. False when the connection is being closed for the descriptor
     * budget, or when its transport is not reachable (neither deadlines nor counts then; Vert.x's
     * HTTP/1 connections always are).
     */
    static boolean install(HttpConnection connection, ListenerConnections connections, Counter headerTimeouts) {
        if (!(connection instanceof ConnectionBase base)) {
            return false;
        }
        ListenerConnections.Client client = connections.accept(connection);
        if (client == null) {
            return false;
        }
        Channel channel = base.channel();
        // The channel's own close, not the HTTP connection's close handler: it also comes for a
        // connection that became a WebSocket tunnel, whose HTTP connection is gone by then.
        channel.closeFuture().addListener(f -> client.closed());
        channel.pipeline().addFirst(NAME, new RequestDeadlines(client, headerTimeouts));
        return true;
    }

    private RequestDeadlines(ListenerConnections.Client client, Counter headerTimeouts) {
        this.awaitingFirstHead = client;
        this.client = client;
        this.headerTimeouts = headerTimeouts;
    }

    /** The deadlines of {@code connection}, or null. */
    static RequestDeadlines of(HttpConnection connection) {
        if (connection instanceof ConnectionBase base) {
            return (RequestDeadlines) base.channel().pipeline().get(NAME);
        }
        return null;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
        idleSince = System.nanoTime();
        schedule(HEADERS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!inRequest && !inHeaders) {
            inHeaders = true;
            headersSince = System.nanoTime();
        }
        super.channelRead(ctx, msg);
    }

    /**
     * A request's headers are complete: no deadline until its response ends. The connection's first
     * request is charged to {@code --max-connections}; over it, the request is answered 503 here and
     * the connection closed.
     *
     * @return true when the request is to be proxied; false when it was answered here
     */
    boolean requestStarted(HttpServerRequest request) {
        inRequest = true;
        inHeaders = false;
        ListenerConnections.Client first = awaitingFirstHead;
        if (first != null) {
            awaitingFirstHead = null;
            if (!first.firstRequest(request)) {
                return false;
            }
        }
        client.requestStarted();
        return true;
    }

    /** A response ended: the connection waits for the next request. */
    void requestEnded() {
        inRequest = false;
        idleSince = System.nanoTime();
        client.requestEnded();
    }

    /** The connection became a tunnel (WebSocket): it is no longer HTTP, so no more deadlines. */
    void tunnel() {
        cancel();
        Channel channel = context.channel();
        if (channel.pipeline().get(NAME) != null) {
            channel.pipeline().remove(this);
        }
    }

    /**
     * The one timer of the connection, never further than {@link #HEADERS} ahead, so that neither
     * deadline can fall before it: the state changes above only write fields, and a request costs no
     * timer of its own (a busy connection's timer fires every 10 s and finds nothing to do).
     */
    private void check() {
        timer = null;
        if (!context.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (inRequest) {
            schedule(HEADERS);
        } else if (inHeaders) {
            long left = headersSince + TimeUnit.MILLISECONDS.toNanos(HEADERS) - now;
            if (left > 0) {
                schedule(TimeUnit.NANOSECONDS.toMillis(left) + 1);
            } else {
                headersLate();
            }
        } else {
            long left = idleSince + TimeUnit.MILLISECONDS.toNanos(IDLE) - now;
            if (left > 0) {
                schedule(Math.min(HEADERS, TimeUnit.NANOSECONDS.toMillis(left) + 1));
            } else {
                context.channel().close();
            }
        }
    }

    private void schedule(long millis) {
        timer = context.executor().schedule(check, millis, TimeUnit.MILLISECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void headersLate() {
        headerTimeouts.increment();
        // Written at the head of the pipeline, below the HTTP codec, whose half-decoded request
        // is abandoned with the connection.
        context.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
    }
}

package io.crossfade.sidecar.http;

import io.crossfade.config.InputText;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

/**
 * One HTTP server instance on its own event loop. Several instances bound to the same address share
 * the listening socket, so a listener scales over event loops.
 */
public final class HttpListener extends VerticleBase {

    /** Longest request line accepted (method, path with query, version). */
    public static final int MAX_INITIAL_LINE_BYTES = 8192;
    /** Largest total of request headers accepted. */
    public static final int MAX_HEADER_BYTES = 16384;

    private final SocketAddress address;
    private final HttpServerOptions options;
    private final Handler<HttpServerRequest> handler;
    private final ConnectionGuard guard;
    private volatile HttpServer server;

    public HttpListener(SocketAddress address, HttpServerOptions options, Handler<HttpServerRequest> handler) {
        this(address, options, handler, null);
    }

    /** @param guard the listener's connection cap and timeouts, shared by its instances; null for none */
    public HttpListener(SocketAddress address, HttpServerOptions options, Handler<HttpServerRequest> handler,
            ConnectionGuard guard) {
        this.address = address;
        this.options = guard == null ? options : new HttpServerOptions(options)
                .setIdleTimeout((int) guard.limits().idleTimeout().toSeconds())
                .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS);
        this.handler = handler;
        this.guard = guard;
    }

    /**
     * Options every listener uses: small request limits, compression off (local traffic), HTTP/1.x
     * only.
     *
     * <p>No h2c: with it, Vert.x holds a new connection in its HTTP/2-preface detection until the
     * first request head is complete, so a client trickling that head (slowloris) is invisible to
     * the connection handler and no header timeout or connection cap can reach it. No client of the
     * sidecar needs HTTP/2 (the client library pins HTTP/1.1; the JDK client falls back by itself).
     *
     * <p>No WebSocket compression: nothing here speaks WebSocket (the proxy tunnels raw bytes), and
     * its extension handler allows only 128 requests in flight per connection, closing one that
     * pipelines more without an answer.
     */
    public static HttpServerOptions defaultOptions() {
        return new HttpServerOptions()
                .setMaxInitialLineLength(MAX_INITIAL_LINE_BYTES)
                .setMaxHeaderSize(MAX_HEADER_BYTES)
                .setCompressionSupported(false)
                .setHttp2ClearTextEnabled(false)
                .setPerFrameWebSocketCompressionSupported(false)
                .setPerMessageWebSocketCompressionSupported(false)
                .setIdleTimeout(0);
    }

    @Override
    public Future<?> start() {
        HttpServer created = vertx.createHttpServer(options);
        if (guard == null) {
            created.connectionHandler(WireChecks::install).requestHandler(handler);
        } else {
            ConnectionGuard.Instance instance = guard.instance(vertx);
            created.connectionHandler(connection -> {
                WireChecks.install(connection);
                instance.connected(connection);
            }).requestHandler(instance.wrap(handler));
        }
        return created
                .invalidRequestHandler(HttpListener::invalidRequest)
                .listen(address)
                .onSuccess(s -> server = s);
    }

    /**
     * Answers a request the HTTP decoder rejected (line or headers over the limits, malformed
     * syntax) in the contract's error shape rather than Vert.x's empty default, then closes the
     * connection, whose byte stream can no longer be trusted.
     */
    public static void invalidRequest(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        ErrorCode code;
        String message;
        if (cause instanceof TooLongHttpLineException) {
            code = ErrorCode.URI_TOO_LONG;
            message = "the request line is over " + MAX_INITIAL_LINE_BYTES + " bytes";
        } else if (cause instanceof TooLongHttpHeaderException) {
            code = ErrorCode.HEADERS_TOO_LARGE;
            message = "the request headers are over " + MAX_HEADER_BYTES + " bytes";
        } else if (cause instanceof WireChecks.UnsupportedVersion) {
            code = ErrorCode.HTTP_VERSION_NOT_SUPPORTED;
            message = cause.getMessage();
        } else {
            code = ErrorCode.BAD_REQUEST;
            message = "malformed HTTP request" + (cause == null || cause.getMessage() == null ? ""
                    : ": " + InputText.abbreviate(cause.getMessage(), 200));
        }
        request.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        HttpResponses.error(request, code, message);
        request.connection().close();
    }

    /**
     * Stops accepting connections at once and closes each open one when its in-flight request is
     * answered, or when {@code bound} has passed, whichever comes first.
     */
    public Future<Void> shutdown(java.time.Duration bound) {
        HttpServer s = server;
        return s == null ? Future.succeededFuture() : s.shutdown(bound);
    }

    /** The bound port, once started (for TCP listeners). */
    public int actualPort() {
        return server == null ? -1 : server.actualPort();
    }
}

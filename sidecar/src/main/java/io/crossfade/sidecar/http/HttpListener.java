package io.crossfade.sidecar.http;

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
    private volatile HttpServer server;

    public HttpListener(SocketAddress address, HttpServerOptions options, Handler<HttpServerRequest> handler) {
        this.address = address;
        this.options = options;
        this.handler = handler;
    }

    /** Options every listener uses: small request limits, compression off (local traffic). */
    public static HttpServerOptions defaultOptions() {
        return new HttpServerOptions()
                .setMaxInitialLineLength(MAX_INITIAL_LINE_BYTES)
                .setMaxHeaderSize(MAX_HEADER_BYTES)
                .setCompressionSupported(false)
                .setIdleTimeout(0);
    }

    @Override
    public Future<?> start() {
        return vertx.createHttpServer(options)
                .requestHandler(handler)
                .invalidRequestHandler(HttpListener::invalidRequest)
                .listen(address)
                .onSuccess(s -> server = s);
    }

    /**
     * Answers a request the HTTP decoder rejected (line or headers over the limits, malformed
     * syntax) in the contract's error shape rather than Vert.x's empty default, then closes the
     * connection, whose byte stream can no longer be trusted.
     */
    static void invalidRequest(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        ErrorCode code;
        String message;
        if (cause instanceof TooLongHttpLineException) {
            code = ErrorCode.URI_TOO_LONG;
            message = "the request line is over " + MAX_INITIAL_LINE_BYTES + " bytes";
        } else if (cause instanceof TooLongHttpHeaderException) {
            code = ErrorCode.HEADERS_TOO_LARGE;
            message = "the request headers are over " + MAX_HEADER_BYTES + " bytes";
        } else {
            code = ErrorCode.BAD_REQUEST;
            message = "malformed HTTP request" + (cause == null || cause.getMessage() == null ? ""
                    : ": " + abbreviate(cause.getMessage()));
        }
        request.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        HttpResponses.error(request, code, message);
        request.connection().close();
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 197) + "..." : s;
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

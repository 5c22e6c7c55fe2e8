package io.crossfade.sidecar.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

/**
 * One HTTP server instance on its own event loop. Several instances bound to the same address share
 * the listening socket, so a listener scales over event loops.
 */
public final class HttpListener extends VerticleBase {

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
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(16384)
                .setCompressionSupported(false)
                .setIdleTimeout(0);
    }

    @Override
    public Future<?> start() {
        return vertx.createHttpServer(options).requestHandler(handler).listen(address).onSuccess(s -> server = s);
    }

    /** The bound port, once started (for TCP listeners). */
    public int actualPort() {
        return server == null ? -1 : server.actualPort();
    }
}

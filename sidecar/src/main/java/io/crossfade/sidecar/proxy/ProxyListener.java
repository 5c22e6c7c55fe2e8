package io.crossfade.sidecar.proxy;

import io.crossfade.sidecar.guard.Guard;
import io.crossfade.sidecar.http.HttpListener;
import io.crossfade.sidecar.http.WireChecks;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.SocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One proxy server instance on its own event loop, with its own upstream connection pool on that
 * same loop, so that a request and its forwarded twin never change threads. Several instances bind
 * the same address (SO_REUSEPORT), one per core.
 */
final class ProxyListener extends VerticleBase {

    /**
     * Upstream connections one event loop keeps at most; requests beyond wait in the pool's queue.
     * High enough for a thousand concurrent client connections on two cores.
     */
    static final int MAX_UPSTREAM_CONNECTIONS_PER_LOOP = 1024;

    /**
     * How long an idle upstream connection is kept (seconds). Below uvicorn's and gunicorn's 5 s
     * keep-alive, so the proxy drops an idle connection before the service does and never sends a
     * request into one the service is closing.
     */
    static final int UPSTREAM_KEEP_ALIVE_SECONDS = 4;

    private final SocketAddress address;
    private final HttpServerOptions serverOptions;
    private final ProxyServer shared;
    private HttpClient client;
    private ContextInternal loop;
    private volatile HttpServer server;

    ProxyListener(SocketAddress address, HttpServerOptions serverOptions, ProxyServer shared) {
        this.address = address;
        this.serverOptions = serverOptions;
        this.shared = shared;
    }

    @Override
    public Future<?> start() {
        loop = (ContextInternal) context;
        client = vertx.httpClientBuilder()
                .with(new HttpClientOptions()
                        .setKeepAlive(true)
                        .setKeepAliveTimeout(UPSTREAM_KEEP_ALIVE_SECONDS)
                        .setTcpNoDelay(true)
                        .setDecompressionSupported(false)
                        .setMaxInitialLineLength(HttpListener.MAX_INITIAL_LINE_BYTES)
                        .setMaxHeaderSize(64 * 1024))
                .with(new PoolOptions().setHttp1MaxSize(MAX_UPSTREAM_CONNECTIONS_PER_LOOP).setMaxWaitQueueSize(-1))
                .withConnectHandler(InterimResponses::install)
                .build();
        return vertx.createHttpServer(serverOptions)
                .connectionHandler(connection -> {
                    if (RequestDeadlines.install(connection, shared.connections(), shared.metrics().headerTimeouts())) {
                        WireChecks.install(connection);
                    }
                })
                .requestHandler(this::handle)
                .invalidRequestHandler(HttpListener::invalidRequest)
                .listen(address)
                .onSuccess(s -> server = s);
    }

    private void handle(HttpServerRequest request) {
        new ProxyExchange(this, request, System.nanoTime()).begin();
    }

    /**
     * Runs {@code task} on this listener's event loop, in its context, after {@code nanos}; cancel the
     * returned future to drop it. Netty's own scheduler: a Vert.x timer also keeps a timer id in a
     * shared map and a close hook per timer, which was a visible share of each proxied request.
     * Event loop only.
     */
    ScheduledFuture<?> schedule(Handler<Void> task, long nanos) {
        return loop.nettyEventLoop().schedule(() -> loop.emit(task), nanos, TimeUnit.NANOSECONDS);
    }

    int actualPort() {
        return server == null ? -1 : server.actualPort();
    }

    HttpClient client() {
        return client;
    }

    ProxyOptions options() {
        return shared.options();
    }

    SettingsInjection injection() {
        return shared.injection();
    }

    ProxyMetrics metrics() {
        return shared.metrics();
    }

    Guard guard() {
        return shared.guard();
    }

    String instanceId() {
        return shared.instanceId();
    }

    String pathPrefix() {
        return shared.pathPrefix();
    }

    long timeoutMillis() {
        return shared.timeoutMillis();
    }
}

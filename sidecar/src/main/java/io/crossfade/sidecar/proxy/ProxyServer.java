package io.crossfade.sidecar.proxy;

import io.crossfade.config.SettingsProblem;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.SettingsSpec;
import io.crossfade.sidecar.HostPort;
import io.crossfade.sidecar.guard.Guard;
import io.crossfade.sidecar.http.HttpListener;
import io.crossfade.sidecar.http.ListenerConnections;
import io.crossfade.sidecar.rollout.Published;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * Proxy mode ({@code --proxy-listen}, {@code --upstream}): Crossfade listens where the service used
 * to, forwards every request to it and streams the answer back, adding the request's settings and
 * variants as headers, and turns each response into outcomes for the guard. Built on Vert.x core's
 * HTTP server and client directly (see {@link ProxyExchange}); the read and ops listeners' {@code Host}
 * check does not apply here, since the proxy's {@code Host} is the service's own public name, but
 * their wire checks do ({@link io.crossfade.sidecar.http.WireChecks}: unknown HTTP versions and broken
 * chunk framing are answered in the error shape, never forwarded). Its client
 * connections count like every listener's ({@link ListenerConnections}: the process's descriptor
 * budget and {@code --max-connections}, across the per-core instances); its timeouts are its own
 * ({@link RequestDeadlines}, and {@code --upstream-timeout} for the exchange).
 */
public final class ProxyServer {

    private final Vertx vertx;
    private final ProxyOptions options;
    private final Published controller;
    private final Guard guard;
    private final ProxyMetrics metrics;
    private final String instanceId;
    private final String pathPrefix;
    private final ListenerConnections connections;
    private volatile SettingsInjection injection;

    /** @param connections the proxy listener's count of client connections, shared by its instances */
    public ProxyServer(Vertx vertx, ProxyOptions options, Published controller, Guard guard,
            MeterRegistry registry, String instanceId, ListenerConnections connections) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.options = Objects.requireNonNull(options, "options");
        this.controller = Objects.requireNonNull(controller, "controller");
        this.guard = Objects.requireNonNull(guard, "guard");
        this.metrics = new ProxyMetrics(registry);
        this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
        this.pathPrefix = options.upstreamPathPrefix();
        this.connections = Objects.requireNonNull(connections, "connections");
    }

    /** The check a settings load must pass while the proxy runs: {@code X-Crossfade-Settings} fits in 8 KiB. */
    public static List<SettingsProblem> check(SettingsSpec spec, ProxyOptions options) {
        return SettingsInjection.check(spec, options.inject());
    }

    /**
     * Binds {@code instances} listeners (one per event loop) to {@code --proxy-listen}; the first
     * alone, so that port 0 resolves to one real port which the others share.
     *
     * @return the bound address
     */
    public Future<HostPort> start(int instances) {
        HttpServerOptions serverOptions = HttpListener.defaultOptions()
                .setReusePort(instances > 1)
                .setHandle100ContinueAutomatically(true)
                // HTTP/1.1 only: an h2c upgrade is a hop-by-hop offer the proxy declines
                .setHttp2ClearTextEnabled(false)
                .setTcpNoDelay(true);
        HostPort listen = options.listen();
        ProxyListener first = new ProxyListener(SocketAddress.inetSocketAddress(listen.port(), listen.host()),
                serverOptions, this);
        return vertx.deployVerticle(first).compose(id -> {
            int port = first.actualPort();
            HostPort bound = new HostPort(listen.host(), port);
            if (instances <= 1) {
                return Future.succeededFuture(bound);
            }
            SocketAddress address = SocketAddress.inetSocketAddress(port, listen.host());
            return vertx.deployVerticle(() -> new ProxyListener(address, serverOptions, this),
                    new DeploymentOptions().setInstances(instances - 1)).map(bound);
        });
    }

    /** The headers of the snapshot being served, prepared once per snapshot. */
    SettingsInjection injection() {
        SettingsSnapshot current = controller.current().snapshot();
        SettingsInjection prepared = injection;
        if (prepared == null || prepared.snapshot() != current) {
            // racing event loops may both prepare it: the same result, and cheap
            prepared = SettingsInjection.prepare(current, options.inject());
            injection = prepared;
        }
        return prepared;
    }

    ProxyOptions options() {
        return options;
    }

    ProxyMetrics metrics() {
        return metrics;
    }

    ListenerConnections connections() {
        return connections;
    }

    Guard guard() {
        return guard;
    }

    String instanceId() {
        return instanceId;
    }

    String pathPrefix() {
        return pathPrefix;
    }

    long timeoutMillis() {
        return options.upstreamTimeout().toMillis();
    }
}

package io.crossfade.sidecar;

import io.crossfade.config.ActiveMigration;
import io.crossfade.config.SettingsException;
import io.crossfade.sidecar.admin.AdminEndpoints;
import io.crossfade.sidecar.admin.AdminTokens;
import io.crossfade.sidecar.admin.TokenFileWatch;
import io.crossfade.sidecar.console.ConsoleEndpoints;
import io.crossfade.sidecar.fleet.EtcdMigrationStore;
import io.crossfade.sidecar.fleet.FleetMetrics;
import io.crossfade.sidecar.fleet.InstancesView;
import io.crossfade.sidecar.guard.Guard;
import io.crossfade.sidecar.guard.OutcomesEndpoint;
import io.crossfade.sidecar.health.HealthEndpoints;
import io.crossfade.sidecar.history.MigrationHistory;
import io.crossfade.sidecar.http.Dispatcher;
import io.crossfade.sidecar.http.ConnectionGuard;
import io.crossfade.sidecar.http.DescriptorBudget;
import io.crossfade.sidecar.http.Endpoints;
import io.crossfade.sidecar.http.ListenerConnections;
import io.crossfade.sidecar.http.ListenerLimits;
import io.crossfade.sidecar.http.HostCheck;
import io.crossfade.sidecar.http.HttpListener;
import io.crossfade.sidecar.http.StartupGate;
import io.crossfade.sidecar.logging.Plural;
import io.crossfade.sidecar.metrics.CrossfadeMetrics;
import io.crossfade.sidecar.metrics.MetricsEndpoint;
import io.crossfade.sidecar.notify.Notifier;
import io.crossfade.sidecar.ofrep.EvaluationSuccess;
import io.crossfade.sidecar.ofrep.OfrepEndpoints;
import io.crossfade.sidecar.proxy.ProxyOptions;
import io.crossfade.sidecar.proxy.ProxyServer;
import io.crossfade.sidecar.read.ResponseCache;
import io.crossfade.sidecar.read.SettingsEndpoints;
import io.crossfade.sidecar.read.SnapshotEndpoint;
import io.crossfade.sidecar.rollout.MigrationStore;
import io.crossfade.sidecar.rollout.PublishedState;
import io.crossfade.sidecar.rollout.RolloutController;
import io.crossfade.sidecar.source.SettingsDirectorySource;
import io.crossfade.sidecar.source.SettingsSink;
import io.crossfade.sidecar.state.DurableFiles;
import io.crossfade.sidecar.state.FileMigrationStore;
import io.crossfade.sidecar.state.LastKnownGood;
import io.crossfade.sidecar.state.SettingsLocation;
import io.crossfade.sidecar.state.StateDirectoryLock;
import io.crossfade.sidecar.watch.WatchEndpoint;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running sidecar: the settings source, the rollout controller and its durable state, the
 * metrics, and the read and ops listeners, wired in the one direction the design asks for
 * (source → controller → snapshot → read path).
 */
public final class Sidecar implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Sidecar.class);

    /** How long a graceful stop waits for in-flight requests before closing their connections. */
    public static final Duration SHUTDOWN_BOUND = Duration.ofSeconds(10);

    private final SidecarOptions options;
    private final Clock clock = Clock.systemUTC();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private Vertx vertx;
    private RolloutController controller;
    private CrossfadeMetrics metrics;
    private SettingsDirectorySource source;
    private ResponseCache responses;
    private Guard guard;
    private MigrationHistory history;
    private Notifier notifier;
    private String instanceId;
    private HostPort readAddress;
    private HostPort opsAddress;
    private HostPort proxyAddress;
    private TokenFileWatch adminTokens;
    private EtcdMigrationStore fleetStore;
    private WatchEndpoint watch;
    private final List<HttpListener> listeners = new CopyOnWriteArrayList<>();

    private Sidecar(SidecarOptions options) {
        this.options = options;
    }

    /**
     * Starts a sidecar and returns once both listeners are bound.
     *
     * @throws SettingsException when the settings are invalid and there is no last-known-good copy
     * @throws IOException when the state directory cannot be used
     */
    public static Sidecar start(SidecarOptions options) throws SettingsException, IOException, InterruptedException {
        Sidecar sidecar = new Sidecar(options);
        try {
            sidecar.startUp();
            return sidecar;
        } catch (SettingsException | IOException | InterruptedException | RuntimeException e) {
            sidecar.close();
            throw e;
        }
    }

    private void startUp() throws SettingsException, IOException, InterruptedException {
        Path stateDir = options.stateDir();
        DurableFiles.ensureDirectory(stateDir);
        // One sidecar per state directory, checked before anything else.
        StateDirectoryLock lock = StateDirectoryLock.acquire(stateDir);
        closeables.add(lock);

        // Listeners first: a port in use stops the start before any state is written. Requests that
        // arrive before the endpoints exist are held by the gates and answered once they do.
        NetworkTransport.Opened opened;
        try {
            opened = options.transport().open(new VertxOptions());
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage(), e); // "crossfade: cannot start: --transport ... is not available here"
        }
        vertx = opened.vertx();
        metrics = new CrossfadeMetrics();
        closeables.add(metrics);
        StartupGate read = new StartupGate();
        StartupGate ops = new StartupGate();
        StartupGate unixRead = new StartupGate();
        try {
            ListenerLimits limits = options.resilience().listenerLimits();
            DescriptorBudget budget = DescriptorBudget.forThisProcess();
            if (budget.connections() < 2L * limits.maxConnections()) {
                LOG.info("descriptor limit {}: at most {} client connections across listeners; beyond that the oldest"
                        + " still awaiting a request head is closed", budget.descriptorLimit(), budget.connections());
            }
            // one listener per core, each on its own socket (SO_REUSEPORT, so the kernel spreads the
            // connections); NIO has no SO_REUSEPORT, so there one listener takes them all
            int loops = vertx.isNativeTransportEnabled() ? Math.max(1, Runtime.getRuntime().availableProcessors()) : 1;
            readAddress = listenTcp(options.listen(), "--listen", read, loops,
                    new ConnectionGuard("read", limits, budget, metrics.registry()));
            opsAddress = listenTcp(options.opsListen(), "--ops-listen", ops, 1,
                    new ConnectionGuard("ops", limits, budget, metrics.registry()));
            String unix = "";
            if (options.listenUnix() != null) {
                Path socket = options.listenUnix().toAbsolutePath();
                Files.deleteIfExists(socket);
                HttpListener listener = new HttpListener(SocketAddress.domainSocketAddress(socket.toString()),
                        HttpListener.defaultOptions(), unixRead, new ConnectionGuard("unix", limits, budget, metrics.registry()));
                listeners.add(listener);
                await(vertx.deployVerticle(listener), "cannot listen on " + socket + " (--listen-unix)");
                unix = " unix=" + socket;
            }
            LOG.info("listening read={} ops={}{}", readAddress, opsAddress, unix);
            LOG.info("transport: {}", opened.description());
            wire(stateDir);
            if (options.proxy() != null) {
                requireUnshared(options.proxy().listen(), "cannot listen on " + options.proxy().listen() + " (--proxy-listen)");
                proxyAddress = await(new ProxyServer(vertx, options.proxy(), controller, guard, metrics.registry(),
                        instanceId, new ListenerConnections("proxy", limits.maxConnections(), budget, metrics.registry()))
                        .start(loops),
                        "cannot listen on " + options.proxy().listen() + " (--proxy-listen)");
                LOG.info("listening proxy={} forwarding to {} (unit from header {}{}; injecting {}; errors: {},"
                        + " upstream timeout {})", proxyAddress, options.proxy().upstream(), options.proxy().unitHeader(),
                        options.proxy().unitCookie() == null ? "" : " or cookie " + options.proxy().unitCookie(),
                        options.proxy().inject().isEmpty() ? "no settings" : options.proxy().inject(),
                        options.proxy().errorStatuses(), io.crossfade.config.Durations.format(options.proxy().upstreamTimeout()));
            }
            List<String> allowedHosts = options.resilience().allowedHosts();
            List<Endpoints> readEndpoints = readEndpoints();
            read.open(new Dispatcher(readEndpoints, HostCheck.of(options.listen().host(), allowedHosts)));
            ops.open(new Dispatcher(opsEndpoints(), HostCheck.of(options.opsListen().host(), allowedHosts)));
            // No browser reaches a Unix socket: no Host check there (curl --unix-socket sends any Host).
            unixRead.open(new Dispatcher(readEndpoints, HostCheck.OFF));
        } catch (SettingsException | IOException | InterruptedException | RuntimeException e) {
            read.fail("the sidecar failed to start");
            ops.fail("the sidecar failed to start");
            unixRead.fail("the sidecar failed to start");
            throw e;
        }
        lock.writePid(); // every listener is bound, the proxy's too: from here on this sidecar runs
        logServing();

        if (fleetStore != null) {
            fleetStore.heartbeat(() -> FleetMetrics.heartbeat(controller.current(), opsAddress, guard));
        }
        source.watch(new SettingsSink() {
            @Override
            public java.util.concurrent.CompletableFuture<?> apply(io.crossfade.config.SettingsSpec spec,
                    io.crossfade.sidecar.rollout.SourceStatus status) {
                return controller.applySpec(spec, status).whenComplete((ok, failure) -> {
                    if (failure == null) {
                        metrics.reload(true); // a failure is counted when the source reports it refused
                    }
                });
            }

            @Override
            public void refused(List<io.crossfade.config.SettingsProblem> problems) {
                metrics.reload(false);
                controller.reloadFailed(problems);
            }
        });
    }

    /** What is served, and from where; when it is the last-known-good copy, why, in words. */
    private void logServing() {
        PublishedState now = controller.current();
        int settings = now.snapshot().spec().settings().size();
        int migrations = now.snapshot().migrations().size();
        String what = Plural.of(settings, "setting") + " and " + Plural.of(migrations, "migration");
        if (!now.source().lastKnownGood()) {
            LOG.info("serving {} from {} (version {}); instance id {}", what, source.directory(),
                    now.source().version(), instanceId);
            return;
        }
        String why = now.source().lastError().stream().map(io.crossfade.config.SettingsProblem::describe)
                .collect(java.util.stream.Collectors.joining("; "));
        LOG.warn("serving {} from the last-known-good copy saved in {} (version {}), not the files in {}, which are"
                + " refused: {}; /ready says last_known_good until they load; instance id {}", what,
                options.stateDir(), now.source().version(), source.directory(), why, instanceId);
    }

    /** Everything behind the listeners: identity, token, source, durable state, guard, history. */
    private void wire(Path stateDir) throws SettingsException, IOException {
        try {
            int stray = DurableFiles.removeStrayTemporaries(stateDir);
            if (stray > 0) {
                LOG.info("removed {} temporary file(s) a failed write left in {}", stray, stateDir);
            }
        } catch (IOException e) {
            LOG.warn("could not clean temporary files in {}: {}", stateDir, DurableFiles.cause(e));
        }
        instanceId = resolveInstanceId(options.instanceId(), stateDir);
        // Before any state is touched: a broken token file stops the start with nothing changed.
        AdminTokens tokens = AdminTokens.load(options.adminTokenFile(), stateDir);
        LOG.info("{}", tokens.describe());
        if (tokens.readableByOthers()) {
            LOG.warn("{} can be read by other users; chmod 600 it", tokens.file());
        }
        adminTokens = new TokenFileWatch(tokens, clock).start();
        closeables.add(adminTokens);

        // Before the last-known-good copy is read: a state directory serves only its own location.
        SettingsLocation.claim(stateDir, options.settingsDir());
        source = new SettingsDirectorySource(options.settingsDir(), new LastKnownGood(stateDir),
                options.resilience().maxRemoval(), clock);
        closeables.add(source);
        if (options.proxy() != null) {
            ProxyOptions proxy = options.proxy();
            source.checkedBy(spec -> ProxyServer.check(spec, proxy));
        }
        SettingsDirectorySource.Initial initial = source.loadInitial();

        MigrationStore store;
        if (options.fleet() == null) {
            store = FileMigrationStore.open(stateDir, options.resilience().auditRetention(), clock);
        } else {
            fleetStore = EtcdMigrationStore.open(options.fleet(), instanceId, stateDir, clock);
            store = fleetStore;
            LOG.info("fleet {}: migration state on etcd at {} (keys under {})", options.fleet().fleet(),
                    options.fleet().endpoints(), options.fleet().prefix());
        }
        controller = new RolloutController(store, clock, options.resilience().retainRetired());
        closeables.add(controller);
        controller.start(initial.spec(), initial.status());

        responses = new ResponseCache(100_000, List.of(EvaluationSuccess.FORM));
        metrics.monitor(responses.caffeine(), "responses");
        metrics.published(controller.current());
        controller.onSnapshot((previous, current, changed) -> {
            responses.invalidateAll();
            metrics.published(current);
            logStartingPercentEdits(previous, current);
        });

        if (fleetStore != null) {
            FleetMetrics.bind(metrics.registry(), fleetStore);
        }

        if (fleetStore != null) {
            // The fleet's guard judges pooled counts, and only the elected judge acts (FleetPool).
            io.crossfade.sidecar.fleet.FleetPool pool = new io.crossfade.sidecar.fleet.FleetPool(fleetStore);
            guard = new Guard(controller, metrics.registry(), clock, pool, pool,
                    new io.crossfade.sidecar.state.EvidenceFiles(stateDir));
        } else {
            guard = new Guard(controller, metrics.registry(), clock, io.crossfade.sidecar.guard.OutcomePool.LOCAL,
                    io.crossfade.sidecar.guard.HoldClock.LOCAL, new io.crossfade.sidecar.state.EvidenceFiles(stateDir));
        }
        closeables.add(guard);
        guard.start();
        metrics.watch(controller, guard);
        metrics.published(controller.current());

        // After the controller (closed before it): announces the audit trail's changes on a thread of its own.
        notifier = new Notifier(options.notifications(), controller.audit(), stateDir, instanceId,
                options.fleet() == null ? null : options.fleet().fleet(), clock,
                io.crossfade.config.DaemonThreads.scheduler("crossfade-notify"), metrics.registry());
        closeables.add(notifier);
        controller.onMigrationChange(event -> notifier.wake());
        notifier.start();

        history = new MigrationHistory(controller::current, guard, clock);
        closeables.add(history);
        history.start(controller);
    }

    /** A reload that changed a running migration's {@code percent:} changes nothing; say so, once. */
    private static void logStartingPercentEdits(PublishedState previous, PublishedState current) {
        if (previous == null) {
            return;
        }
        for (String key : current.startingPercentEdits()) {
            ActiveMigration now = current.snapshot().migrations().get(key);
            ActiveMigration before = previous.snapshot().migrations().get(key);
            if (before != null && before.spec().initialPercent() != now.spec().initialPercent()) {
                LOG.warn("{} in {}: {}", key, now.spec().source(), current.startingPercentNote(key));
            }
        }
    }

    /**
     * Who may see {@code /ready}'s details on the listener bound to {@code address}: everyone on
     * loopback; elsewhere (the image's {@code 0.0.0.0}) only a request with the admin token.
     */
    private java.util.function.Predicate<HttpServerRequest> readyDetails(HostPort address) {
        boolean loopback;
        try {
            loopback = java.net.InetAddress.getByName(address.host()).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            loopback = false;
        }
        if (loopback) {
            return request -> true;
        }
        return request -> adminTokens.get().actorFor(request.getHeader(io.vertx.core.http.HttpHeaders.AUTHORIZATION))
                .isPresent();
    }

    /** Endpoints of the read listener, in the order they are offered requests. */
    private List<Endpoints> readEndpoints() {
        List<Endpoints> list = new ArrayList<>();
        list.add(new HealthEndpoints(controller, guard, false, () -> null, () -> null, readyDetails(options.listen())));
        list.add(new SettingsEndpoints(controller, responses, metrics, instanceId));
        list.add(new OutcomesEndpoint(vertx, guard));
        list.add(new SnapshotEndpoint(vertx, controller, instanceId));
        watch = new WatchEndpoint(controller, WatchEndpoint.HEARTBEAT, WatchEndpoint.MAX_WATCHERS);
        list.add(watch);
        list.add(new OfrepEndpoints(controller, responses, metrics, instanceId));
        return list;
    }

    /** Endpoints of the ops listener. */
    private List<Endpoints> opsEndpoints() {
        List<Endpoints> list = new ArrayList<>();
        list.add(new HealthEndpoints(controller, guard, true, adminTokens::problem, notifier::status,
                readyDetails(options.opsListen())));
        list.add(new MetricsEndpoint(vertx, metrics));
        list.add(fleetStore == null
                ? new AdminEndpoints(controller, adminTokens, guard, history, clock, null, source)
                : new AdminEndpoints(controller, adminTokens, guard, history, clock,
                        () -> InstancesView.of(fleetStore.instances()), source));
        list.add(new ConsoleEndpoints());
        return list;
    }

    /**
     * Binds {@code instances} server instances to {@code address} (given by {@code flag}). The first
     * binds alone so that port 0 resolves to one real port, which the others then share.
     */
    private HostPort listenTcp(HostPort address, String flag, Handler<HttpServerRequest> handler, int instances,
            ConnectionGuard guard) throws InterruptedException, IOException {
        String failure = "cannot listen on " + address + " (" + flag + ")";
        // SO_REUSEPORT: each event loop gets its own accepting socket on the same port and the kernel
        // spreads connections over them (one shared socket would funnel accepts through one loop).
        HttpServerOptions options = HttpListener.defaultOptions().setReusePort(instances > 1);
        requireUnshared(address, failure);
        HttpListener first = new HttpListener(SocketAddress.inetSocketAddress(address.port(), address.host()),
                options, handler, guard);
        listeners.add(first);
        await(vertx.deployVerticle(first), failure);
        int port = first.actualPort();
        if (instances > 1) {
            SocketAddress bound = SocketAddress.inetSocketAddress(port, address.host());
            await(vertx.deployVerticle(() -> {
                HttpListener more = new HttpListener(bound, options, handler, guard);
                listeners.add(more);
                return more;
            }, new DeploymentOptions().setInstances(instances - 1)), failure);
        }
        return new HostPort(address.host(), port);
    }

    /**
     * Fails when something already listens on {@code address}. Needed because the listeners bind with
     * SO_REUSEPORT: a second sidecar would otherwise join the first one's port without an error, and
     * the kernel would share the connections between two processes serving different states. A plain
     * socket cannot bind beside a listening one, whatever its options; port 0 is always free.
     */
    private static void requireUnshared(HostPort address, String failure) throws IOException {
        if (address.port() == 0) {
            return;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.bind(new java.net.InetSocketAddress(address.host(), address.port()), 1);
        } catch (IOException e) {
            throw new IOException(failure + ": " + bindProblem(e), e);
        }
    }

    private static <T> T await(Future<T> future, String failure) throws InterruptedException, IOException {
        try {
            return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IOException(failure + ": " + bindProblem(e.getCause()), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException(failure + ": timed out after 30 s", e);
        }
    }

    /** Netty's native transport says "bind(..) failed with error(-98): ..."; say it in words. */
    static String bindProblem(Throwable cause) {
        String message = String.valueOf(cause.getMessage());
        if (cause instanceof java.net.BindException && message.contains("in use")
                || message.contains("error(-98)") || message.contains("Address already in use")) {
            return "the address is already in use (is another sidecar running? pick another port, or 0 for a free one)";
        }
        if (message.contains("error(-99)") || message.contains("Cannot assign requested address")) {
            return "no network interface of this machine has that address";
        }
        if (message.contains("error(-13)") || message.contains("Permission denied")) {
            return "permission denied (ports below 1024 need privileges)";
        }
        return message;
    }

    /** The flag's id, else {@code $HOSTNAME}, else a random id generated once into the state directory. */
    static String resolveInstanceId(String configured, Path stateDir) throws IOException {
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        String host = System.getenv("HOSTNAME");
        if (host != null && !host.isBlank()) {
            return host.trim();
        }
        Path file = stateDir.resolve("instance.id");
        if (Files.exists(file)) {
            String id = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (!id.isEmpty()) {
                return id;
            }
        }
        String id = "instance-" + UUID.randomUUID();
        try {
            DurableFiles.writeAtomically(file, (id + "\n").getBytes(StandardCharsets.UTF_8), false);
        } catch (IOException e) {
            // Reads are sacred: serve with an id for this run; the next start that can write keeps one.
            LOG.warn("could not keep the instance id in {} ({}); {} is used until the sidecar restarts", file,
                    DurableFiles.cause(e), id);
        }
        return id;
    }

    /** The bound read address. */
    public HostPort readAddress() {
        return readAddress;
    }

    /** The bound ops address. */
    public HostPort opsAddress() {
        return opsAddress;
    }

    /** The bound proxy address, or null without proxy mode. */
    public HostPort proxyAddress() {
        return proxyAddress;
    }

    /** The rollout controller (tests and in-process embedding). */
    public RolloutController controller() {
        return controller;
    }

    /**
     * Stops gracefully: the listeners stop accepting at once, watch streams are ended, in-flight
     * requests are answered (each connection closes when its request is done, or after {@code bound}),
     * then everything else is closed as by {@link #close}. Logs one line saying so.
     */
    public void shutdown(Duration bound, String why) {
        long start = System.nanoTime();
        int streams = 0;
        boolean drained = true;
        if (vertx != null) {
            // Streams first: a stream is a request that never finishes, which the listeners' shutdown
            // would otherwise wait out; ending them cleanly lets clients tell a stop from a crash.
            try {
                streams = watch == null ? 0 : watch.closeAll().toCompletionStage().toCompletableFuture()
                        .get(bound.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                drained = false;
            }
            List<Future<Void>> closing = new ArrayList<>();
            for (HttpListener listener : listeners) {
                closing.add(listener.shutdown(bound));
            }
            try {
                Future.join(closing).toCompletionStage().toCompletableFuture()
                        .get(bound.toMillis() + 2_000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                drained = false;
            }
        }
        close();
        LOG.info("stopped on {}: listeners closed, {} watch stream{} ended, in-flight requests {} in {} ms", why,
                streams, streams == 1 ? "" : "s", drained ? "answered" : "cut off at the " + bound.toSeconds() + " s bound",
                (System.nanoTime() - start) / 1_000_000);
    }

    /** Stops listening and closes the state; idempotent. */
    @Override
    public synchronized void close() {
        if (vertx != null) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("closing Vert.x: {}", e.getMessage());
            }
            vertx = null;
        }
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                LOG.warn("closing {}: {}", closeables.get(i).getClass().getSimpleName(), e.getMessage());
            }
        }
        closeables.clear();
    }
}

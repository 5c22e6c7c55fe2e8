package io.crossfade.bench.baseline;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.transport.Transport;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The ceiling the sidecar's read path is measured against: a Vert.x HTTP server with the sidecar's
 * Vert.x version, transport ({@link #sidecarTransport}), server options and event-loop count, that
 * answers every request with bytes prepared once at start-up (the body and headers the sidecar answers
 * for the benchmarked key). Whatever the sidecar costs beyond this server is the price of Crossfade's own
 * work: routing, bucketing, the snapshot and cache lookups, metrics.
 *
 * <pre>
 * java -jar baseline-server.jar --listen 127.0.0.1:18080 --body body.json \
 *      --header 'etag: "1-old"' --header 'X-Crossfade-Variant: old' [--event-loops N]
 * </pre>
 *
 * <p>{@code GET /ready} answers 200 once every event loop listens, like the sidecar's, so start-up
 * time is measured the same way for both. It prints {@code listening read=HOST:PORT transport=...}.
 */
public final class BaselineServer {

    private static final CharSequence JSON = HttpHeaders.createOptimized("application/json; charset=utf-8");
    private static final Buffer READY = Buffer.buffer("{\"status\":\"ready\"}");

    private BaselineServer() {
    }

    /**
     * The transport the sidecar's {@code --transport auto} takes here: io_uring where allowed, else
     * epoll, else NIO. Every baseline runs on it, so that a comparison never measures two transports.
     */
    static Transport sidecarTransport() {
        return Transport.IO_URING.available() ? Transport.IO_URING
                : Transport.EPOLL.available() ? Transport.EPOLL : Transport.NIO;
    }

    public static void main(String[] args) throws Exception {
        String listen = "127.0.0.1:18080";
        Path bodyFile = null;
        List<CharSequence[]> headers = new ArrayList<>();
        int eventLoops = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--listen" -> listen = args[++i];
                case "--body" -> bodyFile = Path.of(args[++i]);
                case "--header" -> headers.add(header(args[++i]));
                case "--event-loops" -> eventLoops = Integer.parseInt(args[++i]);
                default -> throw usage("unknown argument " + args[i]);
            }
        }
        if (bodyFile == null) {
            throw usage("--body FILE is required");
        }
        int colon = listen.lastIndexOf(':');
        String host = listen.substring(0, colon);
        int port = Integer.parseInt(listen.substring(colon + 1));
        Buffer body = Buffer.buffer(Files.readAllBytes(bodyFile));

        Transport transport = sidecarTransport();
        Vertx vertx = Vertx.builder().with(new VertxOptions()).withTransport(transport).build();
        // Same options as the sidecar's read listener (HttpListener.defaultOptions and listenTcp), so the
        // comparison isolates Crossfade's own work rather than differences in server configuration.
        HttpServerOptions options = new HttpServerOptions()
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(16384)
                .setCompressionSupported(false)
                .setIdleTimeout(0)
                .setReusePort(eventLoops > 1);
        List<CharSequence[]> prepared = List.copyOf(headers);
        await(vertx.deployVerticle(() -> new Listener(host, port, options, body, prepared),
                new DeploymentOptions().setInstances(eventLoops)));
        System.out.println("listening read=" + host + ":" + port + " transport="
                + (vertx.isNativeTransportEnabled() ? "native" : "NIO") + " (" + transport.name() + ") event-loops="
                + eventLoops);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // exiting anyway
            }
        }));
    }

    /** One server instance on its own event loop; instances share the port through SO_REUSEPORT. */
    private static final class Listener extends VerticleBase {
        private final String host;
        private final int port;
        private final HttpServerOptions options;
        private final Buffer body;
        private final List<CharSequence[]> headers;

        Listener(String host, int port, HttpServerOptions options, Buffer body, List<CharSequence[]> headers) {
            this.host = host;
            this.port = port;
            this.options = options;
            this.body = body;
            this.headers = headers;
        }

        @Override
        public Future<?> start() {
            HttpServer server = vertx.createHttpServer(options).requestHandler(this::answer);
            return server.listen(port, host);
        }

        private void answer(HttpServerRequest request) {
            HttpServerResponse response = request.response();
            if ("/ready".equals(request.path())) {
                response.putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(READY);
                return;
            }
            for (CharSequence[] h : headers) {
                response.putHeader(h[0], h[1]);
            }
            response.putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body);
        }
    }

    private static CharSequence[] header(String line) {
        int colon = line.indexOf(':');
        if (colon <= 0) {
            throw usage("--header wants 'Name: value', got " + line);
        }
        return new CharSequence[] {
                HttpHeaders.createOptimized(line.substring(0, colon).trim()),
                HttpHeaders.createOptimized(line.substring(colon + 1).trim())};
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static IllegalArgumentException usage(String problem) {
        return new IllegalArgumentException(problem
                + "\nusage: baseline-server --listen HOST:PORT --body FILE [--header 'Name: value']... [--event-loops N]");
    }
}

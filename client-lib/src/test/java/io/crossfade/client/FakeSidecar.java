package io.crossfade.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.MigrationState;
import io.crossfade.config.MigrationStatus;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.SettingsSpec;
import io.crossfade.config.SnapshotDocument;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the sidecar's read listener in unit tests (JDK HttpServer on port 0): serves a
 * snapshot document the test sets, optionally a watch stream the test pushes events into, and records
 * outcome batches, answering them with a status the test chooses. The real sidecar is used by the
 * integration tests.
 */
final class FakeSidecar implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final List<OutputStream> streams = new CopyOnWriteArrayList<>();
    final List<JsonNode> outcomeBatches = new CopyOnWriteArrayList<>();
    final AtomicInteger outcomeRequests = new AtomicInteger();
    final AtomicInteger snapshotRequests = new AtomicInteger();
    final AtomicInteger watchRequests = new AtomicInteger();
    volatile int outcomesStatus = 202;
    volatile boolean watchAvailable = true;
    volatile boolean watchHangs;
    private volatile SnapshotDocument document;
    private volatile String raw;

    FakeSidecar() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(threads);
        server.createContext("/v1/snapshot", this::snapshot);
        server.createContext("/v1/watch", this::watch);
        server.createContext("/v1/outcomes", this::outcomes);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** A document from settings YAML, each migration running at its starting percent. */
    static SnapshotDocument document(long version, String yaml) {
        try {
            SettingsSpec spec = new SettingsDirectory().parse(Map.of("a.yaml", yaml.getBytes(StandardCharsets.UTF_8)));
            Map<String, ActiveMigration> migrations = new HashMap<>();
            spec.migrations().forEach((key, m) -> migrations.put(key,
                    new ActiveMigration(m, new MigrationStatus(m.initialPercent(), MigrationState.RUNNING))));
            return new SnapshotDocument(new SettingsSnapshot(version, spec, migrations), "fake-instance");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Serves {@code doc} from now on and tells open watch streams. */
    void publish(SnapshotDocument doc) {
        document = doc;
        String event = "event: change\ndata: {\"version\":" + doc.snapshot().version() + ",\"keys\":[]}\n\n";
        for (OutputStream out : streams) {
            try {
                out.write(event.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                streams.remove(out);
            }
        }
    }

    /** Serves {@code body} as the snapshot document from now on, whatever it is. */
    void serveRaw(String body) {
        raw = body;
    }

    /** Serves {@code doc} from now on without telling anyone (a stream that missed it). */
    void replaceSilently(SnapshotDocument doc) {
        document = doc;
    }

    int openStreams() {
        return streams.size();
    }

    private void snapshot(HttpExchange exchange) throws IOException {
        snapshotRequests.incrementAndGet();
        if (raw != null) {
            respond(exchange, 200, raw);
            return;
        }
        SnapshotDocument doc = document;
        if (doc == null) {
            respond(exchange, 503, "{\"error\":\"unavailable\",\"message\":\"no snapshot\"}");
            return;
        }
        String etag = "\"" + doc.snapshot().version() + "\"";
        if (etag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
            exchange.sendResponseHeaders(304, -1);
            exchange.close();
            return;
        }
        exchange.getResponseHeaders().add("ETag", etag);
        respond(exchange, 200, MAPPER.writeValueAsString(doc.toJson()));
    }

    private void watch(HttpExchange exchange) throws IOException {
        watchRequests.incrementAndGet();
        if (watchHangs) { // takes the request, never answers
            try {
                closing.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        if (!watchAvailable) {
            respond(exchange, 404, "{\"error\":\"not_found\",\"message\":\"nothing at /v1/watch\"}");
            return;
        }
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        out.write(": watching\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        streams.add(out);
        try {
            closing.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends every open watch stream, as a sidecar restart would. */
    void dropStreams() {
        for (OutputStream out : streams) {
            streams.remove(out);
            try {
                out.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    private void outcomes(HttpExchange exchange) throws IOException {
        outcomeRequests.incrementAndGet();
        JsonNode body = MAPPER.readTree(exchange.getRequestBody());
        int status = outcomesStatus;
        if (status == 202) {
            outcomeBatches.add(body);
        }
        respond(exchange, status, "{}");
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        dropStreams();
        closing.countDown();
        server.stop(0);
        threads.shutdownNow();
    }
}

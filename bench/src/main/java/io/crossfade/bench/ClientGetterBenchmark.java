package io.crossfade.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.crossfade.client.CrossfadeClient;
import io.crossfade.client.Details;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.MigrationState;
import io.crossfade.config.MigrationStatus;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.SettingsSpec;
import io.crossfade.config.SnapshotDocument;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one in-process read through {@link CrossfadeClient} once its snapshot is loaded (target:
 * well under 200 ns). The client is loaded over HTTP from a minimal in-process stand-in that serves a
 * {@link SnapshotDocument} of the quick-start settings, so the benchmark needs no sidecar running; the
 * measured path (volatile read, resolution, bucketing, near-cache lookup) is the same either way.
 * Units rotate through 1024 distinct ids so bucketing hashes real input every call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class ClientGetterBenchmark {

    /** The shape of {@code checkout.banner}. */
    public record Banner(String text, String color) {
    }

    private static final String SETTINGS = """
            settings:
              db.pool.size: { value: 10 }
              payments.timeout_ms: { value: 800 }
              checkout.banner: { value: { text: "Free shipping over 50 EUR", color: "#0a7" } }
              feature.one_click_buy: { value: false }
              search.ranking.model: { value: bm25 }
            migrations:
              db.pool.size: { to: 20, percent: 5 }
            """;

    private HttpServer sidecar;
    private CrossfadeClient client;
    private final String[] units = new String[1024];

    /** The position in {@link #units}, per benchmark thread. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;

        int advance() {
            return next = (next + 1) & 1023;
        }
    }

    @Setup(Level.Trial)
    public void start() throws Exception {
        SettingsSpec spec = new SettingsDirectory().parse(Map.of("app.yaml", SETTINGS.getBytes(StandardCharsets.UTF_8)));
        Map<String, ActiveMigration> migrations = new HashMap<>();
        spec.migrations().forEach((key, m) -> migrations.put(key,
                new ActiveMigration(m, new MigrationStatus(m.initialPercent(), MigrationState.RUNNING))));
        byte[] document = new ObjectMapper().writeValueAsBytes(
                SnapshotDocument.write(new SettingsSnapshot(1, spec, migrations), "bench-instance"));

        sidecar = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        sidecar.createContext("/v1/snapshot", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
            exchange.sendResponseHeaders(200, document.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(document);
            }
        });
        sidecar.start();
        client = CrossfadeClient.builder().endpoint(URI.create("http://127.0.0.1:" + sidecar.getAddress().getPort()))
                .build();
        if (!client.awaitReady(Duration.ofSeconds(10))) {
            throw new IllegalStateException("the client did not load the snapshot");
        }
        for (int i = 0; i < units.length; i++) {
            units[i] = "user-" + i;
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        client.close();
        sidecar.stop(0);
    }

    /** A setting without a migration: no bucketing. */
    @Benchmark
    public int getIntStatic(Cursor cursor) {
        return client.getInt("payments.timeout_ms", 0, units[cursor.advance()]);
    }

    /** A setting with a running migration: bucketing (murmur3 of salt + unit) on every call. */
    @Benchmark
    public int getIntMigrated(Cursor cursor) {
        return client.getInt("db.pool.size", 0, units[cursor.advance()]);
    }

    /** No unit: the sidecar's instance id. */
    @Benchmark
    public String getStringWithoutUnit() {
        return client.getString("search.ranking.model", "");
    }

    /** An object bound to a record (converted once per snapshot, then served from the near-cache). */
    @Benchmark
    public Banner getRecord(Cursor cursor) {
        return client.get("checkout.banner", Banner.class, null, units[cursor.advance()]);
    }

    /** The details form, which allocates its answer. */
    @Benchmark
    public Details<Integer> details(Cursor cursor) {
        return client.details("db.pool.size", Integer.class, 0, units[cursor.advance()]);
    }
}

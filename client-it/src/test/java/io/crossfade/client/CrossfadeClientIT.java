package io.crossfade.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crossfade.config.Bucketing;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against the real sidecar process. */
class CrossfadeClientIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static final String SETTINGS = """
            settings:
              db.pool.size: { value: 10 }
              checkout.banner: { value: { text: hi, color: "#0a7" } }
              search.model: { value: bm25 }
            migrations:
              db.pool.size:
                to: 20
                percent: 37.5
                guard: { minSamples: 100000 }
              checkout.banner:
                to: { text: yo }
                percent: 5
                salt: banner-2024
            """;

    @TempDir
    Path settings;
    @TempDir
    Path state;

    private SidecarProcess sidecar;
    private CrossfadeClient client;

    @BeforeEach
    void writeSettings() throws Exception {
        writeSettings(SETTINGS);
    }

    /** Replaces the settings file in one step, as a deployment would: the sidecar never sees half a file. */
    private void writeSettings(String yaml) throws Exception {
        Path temp = settings.resolve(".app.yaml.tmp");
        Files.writeString(temp, yaml);
        Files.move(temp, settings.resolve("app.yaml"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (sidecar != null) {
            sidecar.close();
        }
    }

    private CrossfadeClient connectedClient() {
        // Outcome batches are delivered at least once: a POST that outlives the request timeout is sent
        // again, and a loaded machine made the default 2 s run out for a batch the sidecar had taken
        // (counted twice). A generous timeout keeps these tests about what arrives, not how fast.
        client = CrossfadeClient.builder().endpoint(sidecar.readUri()).requestTimeout(Duration.ofSeconds(60)).build();
        assertThat(client.awaitReady(Duration.ofSeconds(30))).as("client ready").isTrue();
        await().atMost(Duration.ofSeconds(30)).until(client::isConnected);
        return client;
    }

    private static JsonNode json(String body) {
        try {
            return MAPPER.readTree(body);
        } catch (Exception e) {
            throw new IllegalStateException(body, e);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void theClientServesWithoutAYamlParserOnItsClasspath() {
        // what a service gets from crossfade-client: Jackson, Caffeine, commons-codec, crossfade-config
        for (String yamlClass : List.of("org.yaml.snakeyaml.Yaml", "com.fasterxml.jackson.dataformat.yaml.YAMLFactory")) {
            assertThat(classPresent(yamlClass)).as(yamlClass + " on the client's classpath").isFalse();
        }
        sidecar = SidecarProcess.start(settings, state);
        CrossfadeClient c = connectedClient();
        assertThat(c.getString("search.model", "d", "user-1")).isEqualTo("bm25");
        assertThat(c.getInt("db.pool.size", -1, "user-1")).isIn(10, 20);
    }

    private static boolean classPresent(String name) {
        try {
            Class.forName(name, false, CrossfadeClientIT.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    @Test
    void everyUnitGetsTheSameVariantInProcessAsOverHttp() throws Exception {
        sidecar = SidecarProcess.start(settings, state);
        CrossfadeClient c = connectedClient();
        int units = 10_000;
        // four keep-alive connections, each asking for every fourth unit, one request after the other
        @SuppressWarnings("unchecked")
        HttpResponse<String>[] answers = new HttpResponse[units];
        ExecutorService askers = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int lane = 0; lane < 4; lane++) {
                int first = lane;
                done.add(askers.submit(() -> {
                    for (int u = first; u < units; u += 4) {
                        answers[u] = SidecarProcess.send(HttpRequest.newBuilder(
                                sidecar.readUri().resolve("/v1/settings?unit=user-" + u)).build());
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(10, TimeUnit.MINUTES); // 10 000 requests: minutes on a loaded 2-core machine
            }
        } finally {
            askers.shutdownNow();
        }
        Map<Variant, Integer> seen = new HashMap<>();
        for (int u = 0; u < units; u++) {
            JsonNode overHttp = json(answers[u].body());
            assertThat(overHttp.get("version").asLong()).isEqualTo(c.snapshotVersion());
            for (String key : List.of("db.pool.size", "checkout.banner", "search.model")) {
                Details<JsonNode> local = c.details(key, "user-" + u);
                JsonNode remote = overHttp.get("settings").get(key);
                assertThat(local.variant().wireName()).as("%s for user-%d", key, u).isEqualTo(remote.get("variant").asText());
                assertThat(local.value()).as("%s for user-%d", key, u).isEqualTo(remote.get("value"));
                seen.merge(local.variant(), 1, Integer::sum);
            }
        }
        assertThat(seen.keySet()).containsExactlyInAnyOrder(Variant.STATIC, Variant.OLD, Variant.NEW);
        // a read without a unit is the sidecar's instance id on both sides
        JsonNode unitless = json(sidecar.get("/v1/settings/db.pool.size").body());
        assertThat(c.details("db.pool.size").variant().wireName()).isEqualTo(unitless.get("variant").asText());
        assertThat(c.getInt("db.pool.size", -1)).isEqualTo(unitless.get("value").asInt());
    }

    /** Lines of the sidecar's watch stream, each stamped with when it arrived. */
    private static final class Watch implements AutoCloseable {
        record Line(String text, long nanos) {
        }

        final BlockingQueue<Line> lines = new LinkedBlockingQueue<>();
        final HttpResponse<InputStream> response;

        Watch(URI read) throws Exception {
            response = HTTP.send(HttpRequest.newBuilder(read.resolve("/v1/watch")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(new Line(line, System.nanoTime()));
                    }
                } catch (Exception ignored) {
                    // closed
                }
            }, "test-watch");
            t.setDaemon(true);
            t.start();
        }

        /** Waits for the next change event; returns its version and when it arrived. */
        long[] nextChange() throws InterruptedException {
            while (true) {
                Line line = lines.poll(30, TimeUnit.SECONDS);
                assertThat(line).as("a change event within 30 s").isNotNull();
                if (line.text().startsWith("data: ")) {
                    return new long[] {json(line.text().substring(6)).get("version").asLong(), line.nanos()};
                }
            }
        }

        @Override
        public void close() throws Exception {
            response.body().close();
        }
    }

    /** Waits until {@code version} is served (how fast: bench/reaction.py measures it). */
    private void awaitClientServes(long version) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                .until(() -> client.snapshotVersion() == version);
    }

    @Test
    void aNewMigrationInTheFilesReachesTheClient() throws Exception {
        sidecar = SidecarProcess.start(settings, state);
        CrossfadeClient c = connectedClient();
        String unit = firstUnitOnNewSide("search.model", 50_000);
        assertThat(c.getString("search.model", "d", unit)).isEqualTo("bm25");
        try (Watch watch = new Watch(sidecar.readUri())) {
            for (String to : List.of("bert", "colbert")) {
                writeSettings(SETTINGS + "  search.model: { to: " + to + ", percent: 50 }\n");
                long[] change = watch.nextChange();
                awaitClientServes(change[0]);
                assertThat(c.getString("search.model", "d", unit)).isEqualTo(to);
                assertThat(c.details("search.model", unit).variant()).isEqualTo(Variant.NEW);
            }
        }
    }

    private static String firstUnitOnNewSide(String salt, int percent) {
        for (int u = 0; ; u++) {
            if (Bucketing.isNew(salt, "user-" + u, percent)) {
                return "user-" + u;
            }
        }
    }

    @Test
    void aPercentChangeThroughTheAdminApiReachesTheClient() throws Exception {
        sidecar = SidecarProcess.start(settings, state);
        URI percentUri = sidecar.opsUri().resolve("/admin/v1/migrations/db.pool.size/percent");

        CrossfadeClient c = connectedClient();
        // a unit between 37.5 % and 80 %: old now, new once the percent is raised
        String unit = null;
        for (int u = 0; unit == null; u++) {
            int bucket = Bucketing.bucket("db.pool.size", "user-" + u);
            if (bucket >= 37_500 && bucket < 80_000) {
                unit = "user-" + u;
            }
        }
        assertThat(c.getInt("db.pool.size", -1, unit)).isEqualTo(10);
        String token = Files.readString(state.resolve("admin.token")).trim();
        HttpResponse<String> changed = SidecarProcess.send(HttpRequest.newBuilder(percentUri)
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"percent\": 80, \"reason\": \"client freshness test\"}")).build());
        assertThat(changed.statusCode()).as(changed.body()).isBetween(200, 299);
        String finalUnit = unit;
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                .until(() -> c.getInt("db.pool.size", -1, finalUnit) == 20);
    }

    @Test
    void whenTheSidecarStopsTheLastValuesKeepServing() {
        sidecar = SidecarProcess.start(settings, state);
        CrossfadeClient c = connectedClient();
        Map<String, Integer> before = new HashMap<>();
        for (int u = 0; u < 500; u++) {
            before.put("user-" + u, c.getInt("db.pool.size", -1, "user-" + u));
        }
        long version = c.snapshotVersion();

        sidecar.kill9();
        await().atMost(Duration.ofSeconds(30)).until(() -> !c.isConnected());

        for (int u = 0; u < 500; u++) {
            assertThat(c.getInt("db.pool.size", -1, "user-" + u)).isEqualTo(before.get("user-" + u));
        }
        Details<String> model = c.details("search.model", String.class, "d", "u");
        assertThat(model.value()).isEqualTo("bm25");
        assertThat(model.fallback()).isFalse();
        assertThat(model.errorCode()).isEqualTo(ErrorCode.NONE);
        assertThat(c.snapshotVersion()).isEqualTo(version);
    }

    @Test
    void aRestartedSidecarIsFollowedAgainWithWhatChangedMeanwhile() throws Exception {
        sidecar = SidecarProcess.start(settings, state);
        CrossfadeClient c = connectedClient();
        long before = c.snapshotVersion();
        sidecar.stop();
        await().atMost(Duration.ofSeconds(30)).until(() -> !c.isConnected());

        writeSettings(SETTINGS.replace("bm25", "bert"));
        sidecar = sidecar.restart();

        await().atMost(Duration.ofSeconds(30)).until(() -> c.getString("search.model", "d").equals("bert"));
        assertThat(c.snapshotVersion()).isGreaterThan(before);
        await().atMost(Duration.ofSeconds(30)).until(c::isConnected);
        // and it follows changes again
        try (Watch watch = new Watch(sidecar.readUri())) {
            writeSettings(SETTINGS.replace("bm25", "colbert"));
            long[] change = watch.nextChange();
            awaitClientServes(change[0]);
            assertThat(c.getString("search.model", "d")).isEqualTo("colbert");
        }
    }

    @Test
    void aSidecarDownAtStartGivesDefaultsUntilItComesUp() throws Exception {
        int port = freePort();
        client = CrossfadeClient.builder().endpoint(URI.create("http://127.0.0.1:" + port)).build();
        assertThat(client.getInt("db.pool.size", 7, "user-1")).isEqualTo(7);
        assertThat(client.getString("search.model", "fallback")).isEqualTo("fallback");
        Details<Integer> d = client.details("db.pool.size", Integer.class, 7, "user-1");
        assertThat(d.errorCode()).isEqualTo(ErrorCode.NOT_READY);
        assertThat(d.fallback()).isTrue();

        sidecar = SidecarProcess.start(settings, state, port, Map.of());
        assertThat(client.awaitReady(Duration.ofSeconds(30))).isTrue();
        assertThat(client.getString("search.model", "fallback")).isEqualTo("bm25");
        assertThat(client.details("search.model", "u").errorCode()).isEqualTo(ErrorCode.NONE);
    }

    private static final Pattern OUTCOME_LINE = Pattern.compile("^crossfade_outcomes_total\\{([^}]*)\\}\\s+([0-9.eE+]+)");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    /** {@code crossfade_outcomes_total} of {@code key} from /metrics, as (variant, result) -> count. */
    private Map<List<String>, Long> outcomeCounts(String key) {
        Map<List<String>, Long> counts = new HashMap<>();
        for (String line : sidecar.getOps("/metrics").body().split("\n")) {
            Matcher m = OUTCOME_LINE.matcher(line);
            if (!m.find()) {
                continue;
            }
            Map<String, String> labels = new HashMap<>();
            Matcher l = LABEL.matcher(m.group(1));
            while (l.find()) {
                labels.put(l.group(1), l.group(2));
            }
            if (key.equals(labels.get("key"))) {
                counts.merge(List.of(labels.get("variant"), labels.get("result")), (long) Double.parseDouble(m.group(2)),
                        Long::sum);
            }
        }
        return counts;
    }

    @Test
    void outcomesRecordedInTheClientShowUpInTheSidecarsCounts() {
        sidecar = SidecarProcess.start(settings, state);

        CrossfadeClient c = connectedClient();
        Map<Variant, Integer> ok = new HashMap<>();
        Map<Variant, Integer> errors = new HashMap<>();
        for (int u = 0; u < 1_500; u++) {
            String unit = "user-" + u;
            Variant variant = c.details("db.pool.size", unit).variant();
            boolean success = u % 10 != 0;
            assertThat(c.recordOutcome("db.pool.size", unit, success)).isTrue();
            (success ? ok : errors).merge(variant, 1, Integer::sum);
        }
        c.close();
        assertThat(c.outcomes()).isEqualTo(new OutcomeCounts(1_500, 1_500, 0, 0, 0));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Map<List<String>, Long> counts = outcomeCounts("db.pool.size");
            for (Variant v : List.of(Variant.OLD, Variant.NEW)) {
                long total = counts.entrySet().stream().filter(e -> e.getKey().get(0).equals(v.wireName()))
                        .mapToLong(Map.Entry::getValue).sum();
                long failed = counts.entrySet().stream().filter(e -> e.getKey().get(0).equals(v.wireName())
                        && !List.of("ok", "success").contains(e.getKey().get(1))).mapToLong(Map.Entry::getValue).sum();
                assertThat(total).as("outcomes of %s: %s", v, counts)
                        .isEqualTo(ok.getOrDefault(v, 0) + errors.getOrDefault(v, 0));
                assertThat(failed).as("errors of %s: %s", v, counts).isEqualTo(errors.getOrDefault(v, 0).longValue());
            }
        });
    }
}

package io.crossfade.sidecar.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * THE crash test: bursts of concurrent operator changes, {@code kill -9} at a random moment in the
 * middle, restart on the same state directory — several times over.
 *
 * <p>What is provable after each restart: every change answered 2xx before the kill is in the audit
 * log with its sequence number (= the revision it was answered with), key, reason and outcome; for
 * each key the served state is the outcome of that key's last audit event, whose revision is at
 * least the last acknowledged one (later means a change that was durable but whose answer the kill
 * cut off — allowed, and it must be one a client really sent); sequence numbers run 1..n without
 * gaps; the state file always parses; the audit log loses at most a torn last line that nobody was
 * told about.
 */
class CrashIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> KEYS = List.of("crash.a", "crash.b", "crash.c");
    private static final int ROUNDS = 4;
    private static final int CLIENTS = 4;

    @TempDir
    Path settingsDir;

    @TempDir
    Path stateDir;

    /** A change the sidecar answered 2xx: what it said the migration became. */
    private record Ack(String key, String reason, long revision, BigDecimal percent, String state) {
    }

    @Test
    void everyAcknowledgedChangeSurvivesKillNineAtRandomMoments() throws Exception {
        Files.writeString(settingsDir.resolve("crash.yaml"), """
                settings:
                  crash.a: { value: "a-old" }
                  crash.b: { value: "b-old" }
                  crash.c: { value: "c-old" }
                migrations:
                  crash.a: { to: "a-new" }
                  crash.b: { to: "b-new", percent: 50 }
                  crash.c: { to: "c-new", percent: 100 }
                """);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Map<Long, Ack> acked = new ConcurrentHashMap<>();
        Set<String> sent = ConcurrentHashMap.newKeySet();

        for (int round = 0; round < ROUNDS; round++) {
            int target = 5 + random.nextInt(40);
            try (SidecarProcess sidecar = SidecarProcess.start(settingsDir, stateDir)) {
                verifyRecovered(sidecar, acked, sent, "seed " + seed + ", before round " + round);
                burstAndKill(sidecar, round, target, random.nextLong(), acked, sent);
            }
            assertStateFileParses();
            assertAuditLogHasAtMostATornLastLine();
        }
        try (SidecarProcess sidecar = SidecarProcess.start(settingsDir, stateDir)) {
            verifyRecovered(sidecar, acked, sent, "seed " + seed + ", after the last round");
        }
        assertThat(acked).hasSizeGreaterThanOrEqualTo(ROUNDS * 5);
    }

    /** Several clients change migrations as fast as they are answered; kill -9 once {@code target} were acknowledged. */
    private void burstAndKill(SidecarProcess sidecar, int round, int target, long seed, Map<Long, Ack> acked,
            Set<String> sent) throws InterruptedException {
        AtomicInteger ackedThisRound = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        List<String> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        for (int c = 0; c < CLIENTS; c++) {
            Random random = new Random(seed + c);
            String client = "r" + round + "-c" + c;
            clients.execute(() -> {
                for (int n = 0; !stop.get(); n++) {
                    String key = KEYS.get(random.nextInt(KEYS.size()));
                    String reason = client + "-" + n;
                    int pick = random.nextInt(10);
                    String action = pick < 7 ? "percent" : pick == 7 ? "pause" : pick == 8 ? "resume" : "rollback";
                    String body = action.equals("percent")
                            ? "{\"percent\": " + BigDecimal.valueOf(random.nextInt(100_001), 3).toPlainString()
                                    + ", \"reason\": \"" + reason + "\"}"
                            : "{\"reason\": \"" + reason + "\"}";
                    sent.add(reason);
                    HttpResponse<String> r;
                    try {
                        r = sidecar.adminPost("/admin/v1/migrations/" + key + "/" + action, body);
                    } catch (UncheckedIOException | IllegalStateException e) {
                        return; // killed: this change's fate is unknown
                    }
                    if (r.statusCode() == 200) {
                        JsonNode view = parse(r.body());
                        acked.put(view.get("revision").asLong(), new Ack(key, reason, view.get("revision").asLong(),
                                view.at("/state/percent").decimalValue(), view.at("/state/state").asText()));
                        ackedThisRound.incrementAndGet();
                    } else if (r.statusCode() != 409) { // 409: e.g. pause of a paused one
                        unexpected.add(r.statusCode() + " " + r.body());
                    }
                }
            });
        }
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> ackedThisRound.get() >= target);
        } finally {
            sidecar.kill9();
            stop.set(true);
            clients.shutdown();
            assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(unexpected).as("answers other than 200 and 409").isEmpty();
    }

    private void verifyRecovered(SidecarProcess sidecar, Map<Long, Ack> acked, Set<String> sent, String context) {
        List<JsonNode> events = allEvents(sidecar);
        Map<Long, JsonNode> bySeq = new HashMap<>();
        Map<String, JsonNode> lastByKey = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            JsonNode e = events.get(i);
            assertThat(e.get("seq").asLong()).as(context + ": audit sequence").isEqualTo(i + 1);
            bySeq.put(e.get("seq").asLong(), e);
            lastByKey.put(e.get("key").asText(), e);
            if (e.get("actor").asText().equals("admin")) {
                assertThat(sent).as(context + ": event %s was sent by a client", e).contains(e.get("reason").asText());
            }
        }
        for (Ack ack : acked.values()) {
            JsonNode e = bySeq.get(ack.revision());
            assertThat(e).as(context + ": acknowledged change %s is in the audit log", ack).isNotNull();
            assertThat(e.get("key").asText()).as(context + ": %s", ack).isEqualTo(ack.key());
            assertThat(e.get("reason").asText()).as(context + ": %s", ack).isEqualTo(ack.reason());
            assertThat(e.at("/to/percent").decimalValue()).as(context + ": %s", ack).isEqualByComparingTo(ack.percent());
            assertThat(e.at("/to/state").asText()).as(context + ": %s", ack).isEqualTo(ack.state());
        }
        for (String key : KEYS) {
            JsonNode view = parse(sidecar.adminGet("/admin/v1/migrations/" + key).body());
            JsonNode last = lastByKey.get(key);
            long revision = view.get("revision").asLong();
            long lastAcked = acked.values().stream().filter(a -> a.key().equals(key)).mapToLong(Ack::revision).max()
                    .orElse(0);
            assertThat(revision).as(context + ": %s is at its last audit event", key).isEqualTo(last.get("seq").asLong());
            assertThat(revision).as(context + ": %s is at or after its last acknowledged change", key)
                    .isGreaterThanOrEqualTo(lastAcked);
            assertThat(view.at("/state/percent").decimalValue()).as(context + ": %s percent", key)
                    .isEqualByComparingTo(last.at("/to/percent").decimalValue());
            assertThat(view.at("/state/state").asText()).as(context + ": %s state", key)
                    .isEqualTo(last.at("/to/state").asText());
            // and the read listener serves exactly that
            JsonNode read = parse(sidecar.get("/v1/settings/" + key + "?unit=someone").body());
            assertThat(read.at("/migration/percent").decimalValue()).as(context + ": %s served percent", key)
                    .isEqualByComparingTo(view.at("/state/percent").decimalValue());
            assertThat(read.at("/migration/state").asText()).isEqualTo(view.at("/state/state").asText());
        }
    }

    private static List<JsonNode> allEvents(SidecarProcess sidecar) {
        List<JsonNode> all = new ArrayList<>();
        long since = 0;
        boolean more = true;
        while (more) {
            JsonNode page = parse(sidecar.adminGet("/admin/v1/events?limit=1000&since=" + since).body());
            page.get("events").forEach(all::add);
            more = page.get("more").asBoolean();
            since = page.get("next").asLong();
        }
        return all;
    }

    private void assertStateFileParses() throws IOException {
        JsonNode state = JSON.readTree(stateDir.resolve("state.json").toFile());
        assertThat(state.get("migrations").size()).isEqualTo(KEYS.size());
        assertThat(state.get("lastSeq").asLong()).isPositive();
    }

    private void assertAuditLogHasAtMostATornLastLine() throws IOException {
        String log = Files.readString(stateDir.resolve("audit.jsonl"), StandardCharsets.UTF_8);
        String[] lines = log.split("\n", -1);
        // Every newline-terminated line is whole; only text after the last newline may be torn.
        for (int i = 0; i < lines.length - 1; i++) {
            assertThat(JSON.readTree(lines[i]).get("seq").asLong()).isEqualTo(i + 1);
        }
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

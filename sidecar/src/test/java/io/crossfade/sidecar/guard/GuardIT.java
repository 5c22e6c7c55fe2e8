package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.config.Bucketing;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guard and the ramp against the real sidecar process: outcomes posted over HTTP, decisions
 * observed through {@code /ready}, {@code /metrics}, the read API and {@code <state>/audit.jsonl}.
 */
class GuardIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "db.pool.size";

    @TempDir
    Path settings;

    @TempDir
    Path state;

    private final List<SidecarProcess> processes = new ArrayList<>();

    @AfterEach
    void stopAll() {
        processes.forEach(SidecarProcess::close);
    }

    private SidecarProcess start() {
        SidecarProcess p = SidecarProcess.start(settings, state);
        processes.add(p);
        return p;
    }

    private void migration(String percent, String guard, String steps) throws IOException {
        Files.writeString(settings.resolve("checkout.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                  payments.timeout_ms: { value: 800 }
                migrations:
                  db.pool.size:
                    to: 20
                    percent: %s
                    guard: %s
                %s""".formatted(percent, guard, steps == null ? "" : "    steps: " + steps + "\n"));
    }

    // ---- (a) a spike on the new variant trips the guard ----

    @Test
    void aSpikeOnTheNewVariantHaltsTheMigration() throws Exception {
        migration("10", "{ minSamples: 200, window: 5s, action: halt }", null);
        SidecarProcess sidecar = start();
        String newUnit = unitOn(Variant.NEW, 10_000, 0);
        assertThat(readVariant(sidecar, newUnit)).isEqualTo("new");

        // per-unit form: 300 units on new with 30 % errors, 700 on old with 1 %
        ArrayNode outcomes = JSON.createArrayNode();
        perUnit(outcomes, Variant.NEW, 10_000, 300, 0.30, 1);
        perUnit(outcomes, Variant.OLD, 10_000, 700, 0.01, 1);
        HttpResponse<String> posted = postOutcomes(sidecar, outcomes);
        assertThat(posted.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(posted.body()).get("accepted").asLong()).isEqualTo(1000);

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> migrationEntry(sidecar).get("state").asText().equals("halted"));
        JsonNode halt = lastAudit(KEY, "halt");
        assertThat(halt.get("actor").asText()).isEqualTo("guard");
        // the counts of the leading start, without the one group judged out
        assertThat(halt.get("reason").asText()).startsWith("guard tripped: the new value's error rate is above the"
                + " 5 % limit (new ").contains(" over the last ").contains("units as the sample")
                .endsWith("new 30.00 % (90 of 300) vs old 1.00 % (7 of 700) in the last 5s");

        // /ready stays 200 and shows it; the percent is frozen, units on new keep the new value
        HttpResponse<String> ready = sidecar.getOps("/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        JsonNode entry = JSON.readTree(ready.body()).get("migrations").get(KEY);
        assertThat(entry.get("percent").asInt()).isEqualTo(10);
        // the snapshot shows "halted" as soon as the change is durable; the guard marks itself
        // "tripped" when the controller's answer reaches its thread, a moment later
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(JSON.readTree(sidecar.getOps("/ready").body())
                .get("migrations").get(KEY).get("guard").get("status").asText()).isEqualTo("tripped"));
        entry = JSON.readTree(sidecar.getOps("/ready").body()).get("migrations").get(KEY);
        assertThat(entry.get("guard").get("lastTrip").get("action").asText()).isEqualTo("halt");
        assertThat(entry.get("guard").get("outcomes").get("new").get("errors").asLong()).isEqualTo(90);
        assertThat(readVariant(sidecar, newUnit)).isEqualTo("new");
        String metrics = sidecar.getOps("/metrics").body();
        assertThat(metric(metrics, "crossfade_guard_trips_total", "action=\"halt\"", "key=\"db.pool.size\"")).isEqualTo(1.0);
        assertThat(metric(metrics, "crossfade_rollout_state", "key=\"db.pool.size\"", "state=\"halted\"")).isEqualTo(1.0);
        assertThat(metric(metrics, "crossfade_guard_evidence", "key=\"db.pool.size\"")).isEqualTo(1.0);
        assertThat(metric(metrics, "crossfade_outcomes_total", "key=\"db.pool.size\"", "result=\"error\"",
                "variant=\"new\"")).isEqualTo(90.0);

        // outcomes for a halted migration are counted and dropped, not errors
        HttpResponse<String> late = postOutcomes(sidecar, JSON.createArrayNode().add(aggregated(Variant.NEW, 5, 5)));
        assertThat(late.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(late.body()).get("dropped").asLong()).isEqualTo(10);
        assertThat(metric(sidecar.getOps("/metrics").body(), "crossfade_outcomes_dropped_total", "reason=\"not_running\""))
                .isEqualTo(10.0);
    }

    @Test
    void aSpikeWithActionRollbackRollsTheMigrationBack() throws Exception {
        migration("25", "{ minSamples: 200, window: 5s, action: rollback }", null);
        SidecarProcess sidecar = start();
        String newUnit = unitOn(Variant.NEW, 25_000, 0);

        // aggregated form
        HttpResponse<String> posted = postOutcomes(sidecar, JSON.createArrayNode()
                .add(aggregated(Variant.OLD, 990, 10)).add(aggregated(Variant.NEW, 210, 90)));
        assertThat(posted.statusCode()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> migrationEntry(sidecar).get("state").asText().equals("rolled_back"));
        JsonNode rollback = lastAudit(KEY, "rollback");
        assertThat(rollback.get("actor").asText()).isEqualTo("guard");
        assertThat(rollback.get("reason").asText()).contains("new 30.00 % (90 of 300) vs old 1.00 % (10 of 1000)");
        assertThat(migrationEntry(sidecar).get("percent").asInt()).isZero();
        assertThat(readVariant(sidecar, newUnit)).isEqualTo("old");
        assertThat(metric(sidecar.getOps("/metrics").body(), "crossfade_guard_trips_total", "action=\"rollback\"",
                "key=\"db.pool.size\"")).isEqualTo(1.0);
    }

    // ---- (b) equal error rates never trip ----

    @Test
    void bothVariantsAtTwoPercentOverAHundredThousandOutcomesNeverTrip() throws Exception {
        // a window long enough that a loaded machine still has all of them in it when the guard is asked
        migration("10", "{ minSamples: 200, window: 60s }", null);
        SidecarProcess sidecar = start();
        long sent = 0;
        // 50 000 aggregated outcomes: batches of 1000, 2 % errors on each side
        for (int batch = 0; batch < 50; batch++) {
            ArrayNode outcomes = JSON.createArrayNode()
                    .add(aggregated(Variant.NEW, 98, 2)).add(aggregated(Variant.OLD, 882, 18));
            assertThat(postOutcomes(sidecar, outcomes).statusCode()).isEqualTo(202);
            sent += 1000;
        }
        // 50 000 per-unit outcomes: every 50th outcome of each variant is an error
        int[] seen = new int[2];
        int unit = 0;
        for (int batch = 0; batch < 50; batch++) {
            ArrayNode outcomes = JSON.createArrayNode();
            for (int i = 0; i < 1000; i++, unit++) {
                String id = "user-" + unit;
                int side = Bucketing.variant(KEY, id, 10_000) == Variant.NEW ? 1 : 0;
                boolean ok = seen[side]++ % 50 != 49;
                outcomes.add(JSON.createObjectNode().put("key", KEY).put("unit", id).put("ok", ok));
            }
            assertThat(postOutcomes(sidecar, outcomes).statusCode()).isEqualTo(202);
            sent += 1000;
            assertThat(migrationEntry(sidecar).get("state").asText()).isEqualTo("running");
        }
        assertThat(sent).isEqualTo(100_000);
        // the guard judged the traffic healthy (not merely waiting), and keeps doing so over its timer ticks
        await().atMost(Duration.ofSeconds(30)).until(() -> migrationEntry(sidecar).get("guard").get("status").asText()
                .equals("healthy"));
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(30))
                .until(() -> migrationEntry(sidecar).get("state").asText().equals("running"));
        String metrics = sidecar.getOps("/metrics").body();
        double total = 0;
        for (String variant : List.of("old", "new")) {
            for (String result : List.of("ok", "error")) {
                total += metric(metrics, "crossfade_outcomes_total", "key=\"db.pool.size\"", "result=\"" + result + "\"",
                        "variant=\"" + variant + "\"");
            }
        }
        assertThat(total).isEqualTo(100_000.0);
        // the trip counters exist at 0 from the start (so that alert rules see the first trip), and stay there
        for (String action : List.of("halt", "rollback")) {
            assertThat(metric(metrics, "crossfade_guard_trips_total", "action=\"" + action + "\"", "key=\"db.pool.size\""))
                    .isZero();
        }
        assertThat(metric(metrics, "crossfade_guard_evidence", "key=\"db.pool.size\"")).isLessThan(1.0);
        assertThat(auditLines()).noneMatch(e -> e.get("actor").asText().equals("guard"));
    }

    // ---- (c) minSamples is a floor of the ratio comparison only ----

    @Test
    void theRatioWaitsForMinSamplesButAnOverwhelmingSpikeDoesNot() throws Exception {
        // the window must still hold the first 150 when the last 50 arrive, however slow the machine
        migration("10", "{ minSamples: 200, window: 60s }", null);
        SidecarProcess sidecar = start();
        // 10 errors in 150 new outcomes against 1 %: strong evidence of a higher rate, but too few
        // outcomes to trust the estimated ratio, and not enough to prove the 5 % ceiling broken
        postOutcomes(sidecar, JSON.createArrayNode().add(aggregated(Variant.OLD, 990, 10)).add(aggregated(Variant.NEW, 140, 10)));
        await().atMost(Duration.ofSeconds(30)).until(() -> migrationEntry(sidecar).get("guard").get("message").asText()
                .startsWith("waiting: 150 of 200 new-value outcomes since the evidence began to compare the values"));
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(30))
                .until(() -> migrationEntry(sidecar).get("state").asText().equals("running"));
        assertThat(migrationEntry(sidecar).get("guard").get("status").asText()).isEqualTo("waiting_for_samples");
        assertThat(migrationEntry(sidecar).at("/guard/evidence/ratio").asDouble()).isGreaterThan(200);

        // 50 more new outcomes, all fine: the window reaches minSamples at 5 % vs 1 %, and the evidence halts it
        postOutcomes(sidecar, JSON.createArrayNode().add(aggregated(Variant.NEW, 50, 0)));
        await().atMost(Duration.ofSeconds(30)).until(() -> migrationEntry(sidecar).get("state").asText().equals("halted"));
        // the ratio named is the Mantel-Haenszel one over the leading start: only looks with both
        // variants count, so the last 50 new outcomes (no old ones beside them) do not dilute it
        assertThat(lastAudit(KEY, "halt").get("reason").asText())
                .startsWith("guard tripped: the new value fails more often than the old one, ")
                .contains("x the old value's error rate over the last ")
                .endsWith("new 5.00 % (10 of 200) vs old 1.00 % (10 of 1000) in the last 1m");
    }

    @Test
    void fiftyErrorsInFiftyHaltAtOnceBelowMinSamples() throws Exception {
        migration("10", "{ minSamples: 200, window: 5s }", null);
        SidecarProcess sidecar = start();
        postOutcomes(sidecar, JSON.createArrayNode().add(aggregated(Variant.NEW, 0, 50)));
        await().atMost(Duration.ofSeconds(30)).until(() -> migrationEntry(sidecar).get("state").asText().equals("halted"));
        assertThat(lastAudit(KEY, "halt").get("reason").asText())
                .startsWith("guard tripped: the new value's error rate is above the 5 % limit");
    }

    // ---- (e) the unit is the sample ----

    @Test
    void aRetryStormFromOneUnitOnTheNewValueDoesNotHalt() throws Exception {
        migration("10", "{ minSamples: 200, window: 10s }", null);
        SidecarProcess sidecar = start();
        // healthy traffic from 4 000 units, 1 % errors on both sides
        for (int batch = 0; batch < 4; batch++) {
            ArrayNode outcomes = JSON.createArrayNode();
            perUnit(outcomes, Variant.NEW, 10_000, 100, 0.01, batch);
            perUnit(outcomes, Variant.OLD, 10_000, 900, 0.01, batch);
            assertThat(postOutcomes(sidecar, outcomes).statusCode()).isEqualTo(202);
        }
        // one client on the new value retries a failing call 500 times
        String stormy = unitOn(Variant.NEW, 10_000, 7);
        ArrayNode storm = JSON.createArrayNode();
        for (int i = 0; i < 500; i++) {
            storm.add(JSON.createObjectNode().put("key", KEY).put("unit", stormy).put("ok", false));
        }
        assertThat(postOutcomes(sidecar, storm).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> migrationEntry(sidecar).at("/guard/outcomes/new/errors")
                .asLong() >= 500);
        // as requests this is 504 errors in 904 on new against 1 %: overwhelming; as units it is one unit
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30))
                .until(() -> migrationEntry(sidecar).get("state").asText().equals("running"));
        assertThat(auditLines()).noneMatch(e -> e.get("actor").asText().equals("guard"));
        assertThat(migrationEntry(sidecar).at("/guard/evidence/sample").asText()).isEqualTo("units");
    }

    @Test
    void aRegressionAfterAHealthyStretchHaltsOnTheDataSinceItBegan() throws Exception {
        // a 2 s window opens a start every second; 6 s of heavy healthy traffic first
        migration("10", "{ minSamples: 200, window: 2s }", null);
        SidecarProcess sidecar = start();
        long healthyUntil = System.nanoTime() + Duration.ofSeconds(6).toNanos();
        int seed = 100;
        while (System.nanoTime() < healthyUntil) {
            ArrayNode outcomes = JSON.createArrayNode();
            perUnit(outcomes, Variant.NEW, 10_000, 100, 0.01, seed);
            perUnit(outcomes, Variant.OLD, 10_000, 900, 0.01, seed++);
            assertThat(postOutcomes(sidecar, outcomes).statusCode()).isEqualTo(202);
        }
        assertThat(migrationEntry(sidecar).get("state").asText()).isEqualTo("running");
        // then the new value fails 5 % of the time across many units: halted within seconds
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            ArrayNode outcomes = JSON.createArrayNode();
            int s = (int) (System.nanoTime() % 1_000_000);
            perUnit(outcomes, Variant.NEW, 10_000, 100, 0.05, s);
            perUnit(outcomes, Variant.OLD, 10_000, 900, 0.01, s);
            postOutcomes(sidecar, outcomes);
            return migrationEntry(sidecar).get("state").asText().equals("halted");
        });
        assertThat(lastAudit(KEY, "halt").get("reason").asText())
                .startsWith("guard tripped: the new value fails more often than the old one, ");
    }

    @Test
    void aKilledSidecarResumesTheSameTestInsteadOfStartingAFreshOne() throws Exception {
        migration("10", "{ minSamples: 200, window: 10s }", null);
        SidecarProcess sidecar = start();
        for (int batch = 0; batch < 3; batch++) {
            ArrayNode outcomes = JSON.createArrayNode();
            perUnit(outcomes, Variant.NEW, 10_000, 100, 0.02, batch);
            perUnit(outcomes, Variant.OLD, 10_000, 900, 0.01, batch);
            assertThat(postOutcomes(sidecar, outcomes).statusCode()).isEqualTo(202);
        }
        // stored at most two seconds behind: wait for the file to hold all 3 000 outcomes
        Path stored = state.resolve("guard");
        await().atMost(Duration.ofSeconds(30)).until(() -> storedOutcomes(stored) == 3000);
        sidecar.kill9();
        SidecarProcess again = start();
        // the evidence since it began still counts the 300 new-value outcomes seen before the kill
        await().atMost(Duration.ofSeconds(30)).until(() -> migrationEntry(again).at("/guard/evidence/since/new/ok")
                .asLong() + migrationEntry(again).at("/guard/evidence/since/new/errors").asLong() == 300);
        assertThat(again.output()).anyMatch(line -> line.contains("guard evidence of db.pool.size resumed"));
        // the window, by contrast, is this process's own
        assertThat(migrationEntry(again).at("/guard/outcomes/new/ok").asLong()).isZero();
    }

    /** Outcomes in the stored unit evidence, or -1 while nothing is stored. */
    private static long storedOutcomes(Path dir) {
        try (var files = Files.list(dir)) {
            Path file = files.filter(f -> f.getFileName().toString().startsWith("evidence-")).findFirst().orElse(null);
            return file == null ? -1 : JSON.readTree(Files.readString(file)).at("/units/outcomes").asLong();
        } catch (IOException e) {
            return -1;
        }
    }

    // ---- (d) ramps ----

    @Test
    void aThreeStepRampClimbsUnderHealthyTraffic() throws Exception {
        migration("0", "{ minSamples: 100, window: 5s }", "[ { percent: 10, hold: 1s }, { percent: 30, hold: 1s }, { percent: 60 } ]");
        SidecarProcess sidecar = start();
        assertThat(migrationEntry(sidecar).get("percent").asInt()).isEqualTo(10);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
            postOutcomes(sidecar, healthyBatch());
            return migrationEntry(sidecar).get("percent").asInt() == 60;
        });
        JsonNode ramp = migrationEntry(sidecar).get("ramp");
        assertThat(ramp.get("phase").asText()).isEqualTo("last_step");
        assertThat(ramp.get("step").asInt()).isEqualTo(3);
        List<JsonNode> steps = auditLines().stream().filter(e -> e.get("action").asText().equals("step")).toList();
        assertThat(steps).extracting(e -> e.get("actor").asText()).containsExactly("ramp", "ramp");
        assertThat(steps).extracting(e -> e.get("to").get("percent").asInt()).containsExactly(30, 60);
        assertThat(steps.get(0).get("reason").asText()).startsWith("step 1 of 3 (10 %) held 1s with ")
                .endsWith("new-variant outcomes and a healthy guard: advancing to step 2 (30 %)");
    }

    @Test
    void aRampStallsWithoutTrafficAndHaltsOnASpikeMidRamp() throws Exception {
        migration("0", "{ minSamples: 100, window: 5s }", "[ { percent: 10, hold: 1s }, { percent: 30, hold: 1s }, { percent: 60 } ]");
        SidecarProcess sidecar = start();
        // no data, no promotion: the hold passes, the step is extended, and the status says why
        await().atMost(Duration.ofSeconds(30)).until(() -> migrationEntry(sidecar).get("ramp").get("phase").asText()
                .equals("extended"));
        JsonNode ramp = migrationEntry(sidecar).get("ramp");
        assertThat(ramp.get("message").asText())
                .isEqualTo("holding step 1 of 3 (10 %) past its 1s hold: 0 of 100 new-variant outcomes seen");
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(30))
                .until(() -> migrationEntry(sidecar).get("percent").asInt() == 10);

        // healthy traffic: it climbs to step 2
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
            postOutcomes(sidecar, healthyBatch());
            return migrationEntry(sidecar).get("percent").asInt() == 30;
        });
        // a spike mid-ramp halts it at 30 % and the ramp stops climbing
        postOutcomes(sidecar, JSON.createArrayNode().add(aggregated(Variant.NEW, 100, 100)));
        await().atMost(Duration.ofSeconds(30)).until(() -> migrationEntry(sidecar).get("state").asText().equals("halted"));
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode entry = migrationEntry(sidecar);
            return entry.get("percent").asInt() == 30 && entry.get("ramp").get("phase").asText().equals("stopped");
        });
        assertThat(lastAudit(KEY, "halt").get("actor").asText()).isEqualTo("guard");
    }

    // ---- (e) restarts ----

    @Test
    void aRestartMidRampResumesAtTheRightStepWithTheRightRemainingHold() throws Exception {
        migration("0", "{ minSamples: 50, window: 5s }", "[ { percent: 10, hold: 1s }, { percent: 30, hold: 12s }, { percent: 60 } ]");
        SidecarProcess first = start();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
            postOutcomes(first, healthyBatch());
            return migrationEntry(first).get("percent").asInt() == 30;
        });
        Instant stepStarted = Instant.parse(lastAudit(KEY, "step").get("time").asText());

        first.kill9();
        SidecarProcess second = start();
        assertRampAt(second, stepStarted);

        second.stop();
        SidecarProcess third = start();
        assertRampAt(third, stepStarted);

        // the hold's outcomes are counted in memory only: after a restart the step needs fresh ones
        await().atMost(Duration.ofSeconds(30)).until(() -> migrationEntry(third).get("ramp").get("message").asText()
                .equals("holding step 2 of 3 (30 %) past its 12s hold: 0 of 50 new-variant outcomes seen"));
        assertThat(migrationEntry(third).get("percent").asInt()).isEqualTo(30);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
            postOutcomes(third, healthyBatch());
            return migrationEntry(third).get("percent").asInt() == 60;
        });
    }

    private void assertRampAt(SidecarProcess sidecar, Instant stepStarted) throws IOException {
        Instant before = Instant.now();
        JsonNode entry = migrationEntry(sidecar);
        Instant after = Instant.now();
        assertThat(entry.get("state").asText()).isEqualTo("running");
        assertThat(entry.get("percent").asInt()).isEqualTo(30);
        JsonNode ramp = entry.get("ramp");
        assertThat(ramp.get("step").asInt()).isEqualTo(2);
        assertThat(ramp.get("newOutcomesThisHold").asLong()).isZero();
        // held = time since the step started, downtime included; remaining = 12 s minus that
        long heldMin = Duration.between(stepStarted, before).toMillis();
        long heldMax = Duration.between(stepStarted, after).toMillis();
        assertThat(ramp.get("heldMillis").asLong()).isBetween(heldMin - 50, heldMax + 50);
        assertThat(ramp.get("remainingMillis").asLong()).isBetween(Math.max(0, 12_000 - heldMax - 50),
                Math.max(0, 12_000 - heldMin + 50));
    }

    // ---- the outcomes API's contract over HTTP ----

    @Test
    void badBatchesAreRejectedWithAMessageAndRecordNothing() throws Exception {
        migration("10", "{ minSamples: 200, window: 5s }", null);
        SidecarProcess sidecar = start();
        HttpResponse<String> bad = sidecar.post("/v1/outcomes", """
                {"outcomes": [{"key": "db.pool.size", "variant": "new", "ok": 5, "errors": 0},
                              {"key": "db.pool.size", "unit": "u-1", "ok": "yes"}]}""");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).get("error").asText()).isEqualTo("bad_request");
        assertThat(JSON.readTree(bad.body()).get("message").asText())
                .isEqualTo("outcomes[1].ok must be true or false in the per-unit form, found string \"yes\"");
        assertThat(migrationEntry(sidecar).get("guard").get("outcomes").get("new").get("ok").asLong()).isZero();

        assertThat(sidecar.get("/v1/outcomes").statusCode()).isEqualTo(405);
        StringBuilder big = new StringBuilder("{\"outcomes\": [");
        for (int i = 0; i < 1000; i++) {
            big.append(i == 0 ? "" : ",").append("{\"key\": \"db.pool.size\", \"unit\": \"").append("u".repeat(60))
                    .append(i).append("\", \"ok\": true}");
        }
        big.append("]}");
        assertThat(big.length()).isGreaterThan(64 * 1024);
        HttpResponse<String> tooLarge = sidecar.post("/v1/outcomes", big.toString());
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(JSON.readTree(tooLarge.body()).get("error").asText()).isEqualTo("payload_too_large");

        // a large valid batch (parsed off the event loop) and unknown keys
        ArrayNode outcomes = JSON.createArrayNode();
        perUnit(outcomes, Variant.NEW, 10_000, 400, 0.0, 1);
        outcomes.add(JSON.createObjectNode().put("key", "no.such.setting").put("unit", "u").put("ok", true));
        outcomes.add(aggregated(Variant.NEW, 3, 1).put("key", "payments.timeout_ms"));
        HttpResponse<String> ok = postOutcomes(sidecar, outcomes);
        assertThat(ok.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(ok.body())).isEqualTo(JSON.readTree("{\"accepted\": 400, \"dropped\": 5}"));
        String metrics = sidecar.getOps("/metrics").body();
        assertThat(metric(metrics, "crossfade_outcomes_dropped_total", "reason=\"unknown_key\"")).isEqualTo(1.0);
        assertThat(metric(metrics, "crossfade_outcomes_dropped_total", "reason=\"no_migration\"")).isEqualTo(4.0);
    }

    // ---- helpers ----

    /** A unit bucketed into {@code variant} at {@code percent} thousandths, the {@code n}-th such from user-0 on. */
    private static String unitOn(Variant variant, int percent, int n) {
        int found = 0;
        for (int i = 0; ; i++) {
            String unit = "user-" + i;
            if (Bucketing.variant(KEY, unit, percent) == variant && found++ == n) {
                return unit;
            }
        }
    }

    /** Adds {@code count} per-unit outcomes of distinct units on {@code variant}, the first {@code errorShare} failing. */
    private static void perUnit(ArrayNode outcomes, Variant variant, int percent, int count, double errorShare, int seed) {
        int errors = (int) Math.round(count * errorShare);
        int added = 0;
        for (int i = 0; added < count; i++) {
            String unit = "u" + seed + "-" + i;
            if (Bucketing.variant(KEY, unit, percent) == variant) {
                outcomes.add(JSON.createObjectNode().put("key", KEY).put("unit", unit).put("ok", added >= errors));
                added++;
            }
        }
    }

    private static ObjectNode aggregated(Variant variant, long ok, long errors) {
        return JSON.createObjectNode().put("key", KEY).put("variant", variant.wireName()).put("ok", ok).put("errors", errors);
    }

    /** 60 new-variant outcomes with 1 error and 540 old-variant ones with 5: about 1 % on both sides. */
    private static ArrayNode healthyBatch() {
        return JSON.createArrayNode().add(aggregated(Variant.NEW, 59, 1)).add(aggregated(Variant.OLD, 535, 5));
    }

    private static HttpResponse<String> postOutcomes(SidecarProcess sidecar, ArrayNode outcomes) {
        ObjectNode body = JSON.createObjectNode();
        body.set("outcomes", outcomes);
        return sidecar.post("/v1/outcomes", body.toString());
    }

    private static JsonNode migrationEntry(SidecarProcess sidecar) throws IOException {
        HttpResponse<String> ready = sidecar.getOps("/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        return JSON.readTree(ready.body()).get("migrations").get(KEY);
    }

    private static String readVariant(SidecarProcess sidecar, String unit) throws IOException {
        return JSON.readTree(sidecar.get("/v1/settings/" + KEY + "?unit=" + unit).body()).get("variant").asText();
    }

    private List<JsonNode> auditLines() {
        try {
            List<JsonNode> events = new ArrayList<>();
            for (String line : Files.readAllLines(state.resolve("audit.jsonl"))) {
                if (!line.isBlank()) {
                    events.add(JSON.readTree(line));
                }
            }
            return events;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode lastAudit(String key, String action) {
        List<JsonNode> matching = auditLines().stream()
                .filter(e -> e.get("key").asText().equals(key) && e.get("action").asText().equals(action)).toList();
        assertThat(matching).as("audit events %s of %s", action, key).isNotEmpty();
        return matching.get(matching.size() - 1);
    }

    /** The value of the sample of {@code name} whose labels include all of {@code labels}. */
    private static double metric(String exposition, String name, String... labels) {
        Pattern sample = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);
        Matcher m = sample.matcher(exposition);
        while (m.find()) {
            List<String> have = List.of(m.group(1).split(","));
            if (have.containsAll(List.of(labels))) {
                return Double.parseDouble(m.group(2));
            }
        }
        throw new AssertionError("no sample " + name + List.of(labels) + " in the metrics");
    }
}

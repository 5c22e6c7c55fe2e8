package io.crossfade.sidecar.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.RunningFleet;
import io.crossfade.sidecar.testing.SidecarProcess;
import io.crossfade.sidecar.testing.VariantSweep;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd comes back empty (issue 25, part 1): three real sidecars on one real etcd, an operator moves a
 * migration to 42 %, then etcd's data directory is lost and a new, empty etcd starts on the same
 * address. Every sidecar keeps serving 42 % with every unit on the same side, the store is re-seeded
 * once with a {@code store_reset} event that {@code /ready}, the metrics and {@code ctl status} name,
 * and changes made afterwards through two different sidecars reach all three.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StoreResetIT {

    private static final String KEY = "db.pool.size";
    private static final String FILES = """
            settings:
              db.pool.size: { value: 10 }
            migrations:
              db.pool.size: { to: 20, percent: 5 }
            """;

    @RegisterExtension
    static final RunningFleet fleet = RunningFleet.of("reset", FILES, "fleet-token-0123456789abcdef");

    private static JsonNode json(String body) throws Exception {
        return Json.MAPPER.readTree(body);
    }

    private static double percentOn(SidecarProcess s) throws Exception {
        return json(s.get("/v1/settings/" + KEY).body()).path("migration").path("percent").asDouble();
    }

    private static String stateOn(SidecarProcess s) throws Exception {
        return json(s.get("/v1/settings/" + KEY).body()).path("migration").path("state").asText();
    }

    @Test
    @Order(1)
    void aWipedEtcdIsReseededFromTheNewestStateAndTheFleetKeepsServingAndChanging() throws Exception {
        List<SidecarProcess> all = fleet.sidecars();
        SidecarProcess a = all.get(0);
        SidecarProcess b = all.get(1);
        SidecarProcess c = all.get(2);

        SidecarProcess.Result set = a.ctl("set", KEY, "42", "--reason", "before the outage");
        assertThat(set.exitCode()).as(set.output()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> percentOn(b) == 42 && percentOn(c) == 42);
        long revision = json(a.adminGet("/admin/v1/migrations/" + KEY).body()).path("revision").asLong();
        List<String> units = IntStream.range(0, 2000).mapToObj(i -> "user-" + i).toList();
        String[] sides = VariantSweep.variants(a.readUri(), KEY, units);
        assertThat(List.of(sides)).contains("new", "old");

        fleet.etcd().wipe(0); // the sidecars' heartbeats are its first keys again at once

        // Noticed within seconds, through the watch, without any request: re-seeded once, named on /ready.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (SidecarProcess s : all) {
                JsonNode store = json(s.adminGet("/ready").body()).path("store");
                assertThat(store.path("reset").path("restoredRevision").asLong()).as(s.adminGet("/ready").body())
                        .isEqualTo(revision);
                assertThat(store.path("reset").path("reseededBy").asText()).startsWith("sidecar-");
                assertThat(store.path("connected").asBoolean()).isTrue();
                // meanwhile, and after: the newest state, never the files' 5 %
                assertThat(percentOn(s)).isEqualTo(42);
            }
        });
        for (SidecarProcess s : all) {
            assertThat(VariantSweep.variants(s.readUri(), KEY, units)).as("same side for every unit")
                    .containsExactly(sides);
            assertThat(MetricsScrape.parse(s.getOps("/metrics").body()).valueOrZero("crossfade_store_resets_total"))
                    .isEqualTo(1);
        }
        JsonNode events = json(b.adminGet("/admin/v1/events").body()).path("events");
        List<JsonNode> resets = new java.util.ArrayList<>();
        events.forEach(e -> {
            if (e.path("action").asText().equals("store_reset")) {
                resets.add(e);
            }
        });
        assertThat(resets).as("re-seeded exactly once").hasSize(1);
        assertThat(resets.get(0).path("to").path("revision").asLong()).isEqualTo(revision);
        assertThat(resets.get(0).path("seq").asLong()).isEqualTo(revision + 1);
        assertThat(resets.get(0).path("reason").asText()).contains("came back empty");
        assertThat(fleet.etcd().values("/crossfade/reset/")).as("etcd holds the fleet state again").isNotEmpty();

        SidecarProcess.Result status = c.ctl("status");
        assertThat(status.exitCode()).as(status.output()).isZero();
        assertThat(status.output()).contains("RESET", "restored revision " + revision);

        // Changes through two different sidecars reach all three.
        SidecarProcess.Result throughB = b.ctl("set", KEY, "50", "--reason", "after the reset");
        assertThat(throughB.exitCode()).as(throughB.output()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> percentOn(a) == 50 && percentOn(b) == 50 && percentOn(c) == 50);
        SidecarProcess.Result throughC = c.ctl("pause", KEY, "--reason", "after the reset, too");
        assertThat(throughC.exitCode()).as(throughC.output()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> stateOn(a).equals("paused") && stateOn(b).equals("paused")
                && stateOn(c).equals("paused"));
        for (SidecarProcess s : all) {
            assertThat(percentOn(s)).isEqualTo(50);
        }
    }

    @Test
    @Order(2)
    void anEtcdRestoredFromAnOlderBackupIsReseededWithTheNewerOperatorDecisions(@TempDir java.nio.file.Path backup)
            throws Exception {
        List<SidecarProcess> all = fleet.sidecars();
        SidecarProcess a = all.get(0);
        SidecarProcess.Result set = a.ctl("set", KEY, "30", "--reason", "before the backup");
        assertThat(set.exitCode()).as(set.output()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> all.stream().allMatch(s -> uncheckedPercent(s) == 30));
        fleet.etcd().backUp(0, backup.resolve("m0"));
        await().atMost(Duration.ofSeconds(30)).until(() -> json(a.getOps("/ready").body()).path("store")
                .path("connected").asBoolean());

        SidecarProcess.Result newer = a.ctl("set", KEY, "60", "--reason", "after the backup");
        assertThat(newer.exitCode()).as(newer.output()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> all.stream().allMatch(s -> uncheckedPercent(s) == 60));
        long revision = json(a.adminGet("/admin/v1/migrations/" + KEY).body()).path("revision").asLong();
        double resetsBefore = MetricsScrape.parse(a.getOps("/metrics").body()).valueOrZero("crossfade_store_resets_total");

        fleet.etcd().restore(0, backup.resolve("m0"));

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (SidecarProcess s : all) {
                JsonNode reset = json(s.adminGet("/ready").body()).path("store").path("reset");
                assertThat(reset.path("restoredRevision").asLong()).isEqualTo(revision);
                assertThat(reset.path("cause").asText()).contains("restored from an older state");
                assertThat(percentOn(s)).as("the newer decision wins").isEqualTo(60);
            }
        });
        assertThat(MetricsScrape.parse(a.getOps("/metrics").body()).valueOrZero("crossfade_store_resets_total"))
                .isEqualTo(resetsBefore + 1);
        SidecarProcess.Result after = all.get(2).ctl("set", KEY, "70", "--reason", "after the restore");
        assertThat(after.exitCode()).as(after.output()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> all.stream().allMatch(s -> uncheckedPercent(s) == 70));
    }

    private static double uncheckedPercent(SidecarProcess s) {
        try {
            return percentOn(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

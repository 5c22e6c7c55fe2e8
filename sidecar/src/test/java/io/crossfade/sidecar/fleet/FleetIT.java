package io.crossfade.sidecar.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.testing.RunningFleet;
import io.crossfade.sidecar.testing.SidecarProcess;
import io.crossfade.sidecar.testing.VariantSweep;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three real sidecar processes share one real etcd as one fleet: a change made through one is
 * served by all, every unit on the same side everywhere, and the audit trail of any names the
 * sidecar that made it.
 */
class FleetIT {

    private static final String FILES = """
            settings:
              db.pool.size: { value: 10 }
            migrations:
              db.pool.size: { to: 20, percent: 5 }
            """;

    @RegisterExtension
    static final RunningFleet fleet = RunningFleet.of("checkout", FILES, "fleet-token-0123456789abcdef");

    private static JsonNode json(String body) throws Exception {
        return Json.MAPPER.readTree(body);
    }

    private static double percentOn(SidecarProcess s) throws Exception {
        return json(s.get("/v1/settings/db.pool.size").body()).path("migration").path("percent").asDouble();
    }

    @Test
    void aChangeThroughOneSidecarIsServedByAllWithEveryUnitOnTheSameSideEverywhere() throws Exception {
        SidecarProcess a = fleet.sidecars().get(0);
        SidecarProcess b = fleet.sidecars().get(1);
        SidecarProcess c = fleet.sidecars().get(2);

        SidecarProcess.Result set = a.ctl("set", "db.pool.size", "37.5", "--reason", "fleet-wide");
        assertThat(set.exitCode()).as(set.output()).isZero();
        // Answered only once committed and served by the sidecar that took it.
        assertThat(percentOn(a)).isEqualTo(37.5);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> percentOn(b) == 37.5 && percentOn(c) == 37.5);

        List<String> units = IntStream.range(0, 10_000).mapToObj(i -> "user-" + i).toList();
        String[] onA = VariantSweep.variants(a.readUri(), "db.pool.size", units);
        String[] onB = VariantSweep.variants(b.readUri(), "db.pool.size", units);
        String[] onC = VariantSweep.variants(c.readUri(), "db.pool.size", units);
        assertThat(onB).containsExactly(onA);
        assertThat(onC).containsExactly(onA);
        assertThat(List.of(onA)).contains("new", "old");

        SidecarProcess.Result events = c.ctl("events", "db.pool.size");
        assertThat(events.exitCode()).as(events.output()).isZero();
        assertThat(events.output()).containsPattern("set_percent").contains("@sidecar-a").contains("fleet-wide");
        JsonNode last = json(c.adminGet("/admin/v1/events?key=db.pool.size").body()).path("events");
        JsonNode change = last.get(last.size() - 1);
        assertThat(change.path("action").asText()).isEqualTo("set_percent");
        assertThat(change.path("instance").asText()).isEqualTo("sidecar-a");
    }

    @Test
    void threeSidecarsLoadingTheSameFilesCreatedTheMigrationOnce() throws Exception {
        JsonNode events = json(fleet.sidecars().get(1).adminGet("/admin/v1/events?key=db.pool.size").body())
                .path("events");
        List<String> created = new ArrayList<>();
        events.forEach(e -> {
            if (e.path("action").asText().equals("created")) {
                created.add(e.path("instance").asText());
            }
        });
        assertThat(created).hasSize(1);
    }

    @Test
    void everySidecarListsTheLiveFleetAndCtlStatusShowsConvergence() throws Exception {
        SidecarProcess c = fleet.sidecars().get(2);
        await().atMost(Duration.ofSeconds(30)).until(() ->
                json(c.adminGet("/admin/v1/instances").body()).path("instances").size() == 3);
        JsonNode instances = json(c.adminGet("/admin/v1/instances").body()).path("instances");
        List<String> ids = new ArrayList<>();
        instances.forEach(i -> ids.add(i.path("id").asText()));
        assertThat(ids).containsExactlyInAnyOrder("sidecar-a", "sidecar-b", "sidecar-c");
        JsonNode a = instances.get(ids.indexOf("sidecar-a"));
        assertThat(a.path("opsAddress").asText()).isEqualTo(fleet.sidecars().get(0).opsUri().getAuthority());
        assertThat(a.path("specVersion").asText()).isNotEmpty();
        assertThat(a.path("migrations").path("db.pool.size").path("revision").asLong()).isPositive();
        assertThat(a.path("migrations").path("db.pool.size").path("percent").isNumber()).as(a.toString()).isTrue();
        assertThat(a.path("migrations").path("db.pool.size").path("state").asText()).isNotEmpty();
        assertThat(java.time.Instant.parse(a.path("lastSeen").asText())).as("lastSeen, an ISO-8601 instant")
                .isAfter(java.time.Instant.now().minus(Duration.ofMinutes(10)));
        assertThat(a.path("outcomes").isObject()).as(a.toString()).isTrue();

        long revision = json(c.adminGet("/admin/v1/migrations/db.pool.size").body()).path("revision").asLong();
        // Heartbeats come every second: wait until all three report this revision, then ask ctl once.
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            int at = 0;
            for (JsonNode i : json(c.adminGet("/admin/v1/instances").body()).path("instances")) {
                at += i.path("migrations").path("db.pool.size").path("revision").asLong() == revision ? 1 : 0;
            }
            return at == 3;
        });
        SidecarProcess.Result status = c.ctl("status");
        assertThat(status.exitCode()).as(status.output()).isZero();
        assertThat(status.output()).contains("FLEET").contains("3/3 at rev " + revision);
    }

    @Test
    void readyShowsTheStoreAndMetricsItsConnection() throws Exception {
        SidecarProcess b = fleet.sidecars().get(1);
        JsonNode store = json(b.getOps("/ready").body()).path("store");
        assertThat(store.path("type").asText()).isEqualTo("etcd");
        assertThat(store.path("fleet").asText()).isEqualTo("checkout");
        await().atMost(Duration.ofSeconds(30)).until(() ->
                json(b.getOps("/ready").body()).path("store").path("connected").asBoolean());
        String metrics = b.getOps("/metrics").body();
        assertThat(metrics).contains("crossfade_store_connected 1.0").contains("crossfade_store_revision ")
                .contains("crossfade_store_watch_lag_seconds ");
    }
}

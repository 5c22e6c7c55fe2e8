package io.crossfade.sidecar.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.testing.EtcdCluster;
import io.crossfade.sidecar.testing.FleetSidecars;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a sidecar of a fleet does when etcd goes away and comes back: each rule of the failure semantics. */
class FleetOutageIT {

    private static final String FILES = """
            settings:
              db.pool.size: { value: 10 }
            migrations:
              db.pool.size:
                to: 20
                percent: 5
                guard: { minSamples: 100, window: 30s, action: halt }
            """;

    @TempDir
    Path dir;

    private EtcdCluster etcd;
    private SidecarProcess sidecar;

    @BeforeEach
    void startEtcd() throws Exception {
        Assumptions.assumeTrue(EtcdCluster.available(), "etcd is not installed (apt-get install etcd-server)");
        etcd = EtcdCluster.start(dir.resolve("etcd"), 1);
    }

    @AfterEach
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    private SidecarProcess start(String endpoints) throws Exception {
        return new FleetSidecars("outage", FILES, endpoints).start(dir, "solo");
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    private double percent() throws Exception {
        return json(sidecar.get("/v1/settings/db.pool.size")).path("migration").path("percent").asDouble();
    }

    private JsonNode store() throws Exception {
        HttpResponse<String> ready = sidecar.getOps("/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        return json(ready).path("store");
    }

    @Test
    void losingEtcdKeepsServingTheLastStateAndReadySaysSoWhileStaying200() throws Exception {
        sidecar = start(etcd.endpoints());
        assertThat(sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 30}").statusCode())
                .isEqualTo(200);
        etcd.kill(0);

        await().atMost(Duration.ofSeconds(30)).until(() -> !store().path("connected").asBoolean(true));
        JsonNode store = store();
        assertThat(store.path("type").asText()).isEqualTo("etcd");
        assertThat(store.path("since").asText()).isNotEmpty();
        assertThat(store.path("revision").asLong()).isEqualTo(2);
        assertThat(percent()).isEqualTo(30.0);
        assertThat(sidecar.getOps("/metrics").body()).contains("crossfade_store_connected 0.0");
        SidecarProcess.Result status = sidecar.ctl("status");
        assertThat(status.exitCode()).as(status.output()).isZero();
        assertThat(status.output()).as("not FLEET 1/1 as if all were well")
                .contains("STORE DISCONNECTED", "cannot be reached since", "(last seen)");
    }

    @Test
    void aSidecarRestartedOntoAnEmptyEtcdReseedsItFromItsCachedCopyNotTheFilesPercents() throws Exception {
        sidecar = start(etcd.endpoints());
        assertThat(sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 30}").statusCode())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> java.nio.file.Files.readString(
                dir.resolve("state").resolve("fleet-outage.json")).contains("\"revision\":2"));
        sidecar.close();
        etcd.wipe(0);

        sidecar = start(etcd.endpoints());
        assertThat(percent()).as("the newest state held, never the files' 5 %").isEqualTo(30.0);
        JsonNode reset = store().path("reset");
        assertThat(reset.path("restoredRevision").asLong()).isEqualTo(2);
        assertThat(reset.path("reseededBy").asText()).isEqualTo("solo");
        assertThat(reset.path("cause").asText()).contains("came back empty");
        assertThat(sidecar.getOps("/metrics").body()).contains("crossfade_store_resets_total 1.0");
        assertThat(sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 35}").statusCode())
                .as("the re-seeded store takes changes").isEqualTo(200);
        assertThat(percent()).isEqualTo(35.0);
    }

    @Test
    void anOperatorChangeDuringAnOutageIsRefusedWith503AndAcceptedOnceEtcdIsBack() throws Exception {
        sidecar = start(etcd.endpoints());
        etcd.kill(0);

        HttpResponse<String> refused = sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent",
                "{\"percent\": 40}");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(json(refused).path("error").asText()).isEqualTo("unavailable");
        String message = json(refused).path("message").asText();
        // in words, said once: no Java class names, no "nothing changed" twice
        assertThat(message).startsWith("the change could not be saved: the fleet store is unavailable (etcd at ")
                .endsWith("; nothing changed, try again when the store is back")
                .doesNotContainPattern("[A-Z][a-z]+Exception")
                .doesNotContain("nothing was changed");
        assertThat(message.split("nothing changed", -1)).hasSize(2);
        assertThat(percent()).isEqualTo(5.0);

        etcd.startMember(0);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
                sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 40}").statusCode()
                        == 200);
        assertThat(percent()).isEqualTo(40.0);
        await().atMost(Duration.ofSeconds(30)).until(() -> store().path("connected").asBoolean());
    }

    @Test
    void aSidecarStartedWithoutEtcdServesItsCachedCopyOfTheFleetState() throws Exception {
        sidecar = start(etcd.endpoints());
        assertThat(sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 60}").statusCode())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.readString(dir.resolve("state/fleet-outage.json")).contains("\"revision\":2"));
        sidecar.close();
        etcd.kill(0);

        sidecar = start(etcd.endpoints());
        assertThat(percent()).isEqualTo(60.0);
        assertThat(store().path("servingFrom").asText()).isEqualTo("cache");
        assertThat(store().path("connected").asBoolean()).isFalse();
    }

    @Test
    void aSidecarStartedWithoutEtcdOrACopyServesTheFilesStartingPercentsThenTheFleetState() throws Exception {
        etcd.kill(0);
        sidecar = start(etcd.endpoints());
        assertThat(percent()).isEqualTo(5.0);
        assertThat(store().path("servingFrom").asText()).isEqualTo("files");

        etcd.startMember(0);
        await().atMost(Duration.ofSeconds(60)).until(() -> store().path("servingFrom").asText().equals("store"));
        // Once etcd answers, the migration the files declare is created in the fleet's store.
        await().atMost(Duration.ofSeconds(60)).until(() ->
                json(sidecar.adminGet("/admin/v1/events")).path("events").size() == 1);
        JsonNode events = json(sidecar.adminGet("/admin/v1/events"));
        assertThat(events.path("events").get(0).path("action").asText()).isEqualTo("created");
        assertThat(events.path("events").get(0).path("instance").asText()).isEqualTo("solo");
    }

    @Test
    void aGuardTripDuringAnOutageTakesEffectAtOnceAndIsWrittenWhenEtcdIsBack() throws Exception {
        sidecar = start(etcd.endpoints());
        etcd.kill(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> !store().path("connected").asBoolean(true));

        HttpResponse<String> posted = sidecar.post("/v1/outcomes", """
                {"outcomes":[{"key":"db.pool.size","variant":"old","ok":990,"errors":10},
                             {"key":"db.pool.size","variant":"new","ok":60,"errors":40}]}""");
        assertThat(posted.statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() ->
                json(sidecar.get("/v1/settings/db.pool.size")).path("migration").path("state").asText()
                        .equals("halted"));
        assertThat(store().path("pendingStoreWrite")).extracting(JsonNode::asText).containsExactly("db.pool.size");

        etcd.startMember(0);
        await().atMost(Duration.ofSeconds(60)).until(() -> store().path("pendingStoreWrite").isEmpty());
        JsonNode trail = Json.MAPPER.readTree(etcd.values("/crossfade/outage/audit/").get(1));
        assertThat(trail.path("action").asText()).isEqualTo("halt");
        assertThat(trail.path("actor").asText()).isEqualTo("guard");
        assertThat(trail.path("instance").asText()).isEqualTo("solo");
    }
}

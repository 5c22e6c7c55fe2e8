package io.crossfade.sidecar.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ramp that starts at 0 % with a cohort: the first hold is judged by the ceiling on the included
 * units alone; healthy staff move the ramp on, failing staff halt it at 0 %.
 */
class CohortRampIT {

    private static final String KEY = "db.pool.size";

    @TempDir
    Path settings;
    @TempDir
    Path state;

    private SidecarProcess sidecar;

    @AfterEach
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    private void start() throws Exception {
        Files.writeString(settings.resolve("app.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                cohorts:
                  staff: { prefixes: ["staff-"] }
                migrations:
                  db.pool.size:
                    to: 20
                    include: [staff]
                    guard: { minSamples: 100, window: 5s }
                    steps: ["0:1s", "25:1h", 100]
                """);
        sidecar = SidecarProcess.start(settings, state);
    }

    private JsonNode entry() throws Exception {
        return Json.MAPPER.readTree(sidecar.getOps("/ready").body()).path("migrations").path(KEY);
    }

    private void staff(boolean ok) {
        ArrayNode outcomes = Json.MAPPER.createArrayNode();
        for (int i = 0; i < 100; i++) {
            outcomes.add(Json.MAPPER.createObjectNode().put("key", KEY).put("unit", "staff-" + i).put("ok", ok));
        }
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("outcomes", outcomes);
        assertThat(sidecar.post("/v1/outcomes", body.toString()).statusCode()).isEqualTo(202);
    }

    private String guardMessage() throws Exception {
        return Json.MAPPER.readTree(sidecar.adminGet("/admin/v1/migrations/" + KEY).body()).path("health").path("guard")
                .path("message").asText();
    }

    @Test
    void healthyStaffAtTheZeroStepMoveTheRampOn() throws Exception {
        start();
        assertThat(entry().path("percent").asInt()).isZero();
        assertThat(Json.MAPPER.readTree(sidecar.get("/v1/settings/" + KEY + "?unit=staff-1").body()).path("variant").asText())
                .isEqualTo("new");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            staff(true);
            assertThat(guardMessage()).startsWith("healthy: cohort-only rollout, judged by the ceiling alone");
        });
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
            staff(true);
            return entry().path("percent").asInt() == 25;
        });
        JsonNode step = Json.MAPPER.readTree(sidecar.adminGet("/admin/v1/events?key=" + KEY).body()).path("events");
        assertThat(step.get(step.size() - 1).path("action").asText()).isEqualTo("step");
    }

    @Test
    void failingStaffAtTheZeroStepHaltTheRampThere() throws Exception {
        start();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
            staff(false);
            return entry().path("state").asText().equals("halted");
        });
        assertThat(entry().path("percent").asInt()).isZero();
        JsonNode events = Json.MAPPER.readTree(sidecar.adminGet("/admin/v1/events?key=" + KEY).body()).path("events");
        assertThat(events.get(events.size() - 1).path("reason").asText())
                .contains("for the units a cohort included is above the 5 % limit");
    }
}

package io.crossfade.sidecar.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.config.Bucketing;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert rules in a real Prometheus that scrapes a real sidecar: the guard halts a migration on
 * per-unit outcomes, and Prometheus's {@code /api/v1/alerts} shows {@code CrossfadeGuardTripped}
 * firing with the key, the action and the audit reason.
 */
class PrometheusAlertIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "db.pool.size";

    @TempDir
    Path dir;

    @Test
    void aGuardHaltFiresCrossfadeGuardTrippedInPrometheus() throws Exception {
        Assumptions.assumeTrue(PrometheusProcess.available(), "prometheus is not installed (apt-get install prometheus)");
        Path settings = Files.createDirectories(dir.resolve("settings"));
        Files.writeString(settings.resolve("checkout.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                migrations:
                  db.pool.size:
                    to: 20
                    percent: 10
                    guard: { minSamples: 200, window: 5s, action: halt }
                """);
        try (SidecarProcess sidecar = SidecarProcess.start(settings, dir.resolve("state"));
                PrometheusProcess prometheus = PrometheusProcess.start(dir.resolve("prometheus"),
                        sidecar.opsUri().getAuthority(), List.of(DeployedQueries.rulesFile()))) {
            // The trip counter is scraped at 0 before the trip, and nothing fires while the migration is healthy.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                    assertThat(JSON.readTree(prometheus.query(
                                    "crossfade_guard_trips_total{key=\"" + KEY + "\",action=\"halt\"} == 0"))
                            .at("/data/result")).as("%s", prometheus.log()).hasSize(1));
            await().atMost(Duration.ofSeconds(30)).until(() -> JSON.readTree(prometheus.get("/api/v1/rules").body())
                    .at("/data/groups").size() > 0);
            assertThat(trippedAlert(prometheus)).isEmpty();

            ArrayNode outcomes = JSON.createArrayNode();
            perUnit(outcomes, Variant.NEW, 300, 0.30);
            perUnit(outcomes, Variant.OLD, 700, 0.01);
            ObjectNode body = JSON.createObjectNode();
            body.set("outcomes", outcomes);
            assertThat(sidecar.post("/v1/outcomes", body.toString()).statusCode()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(30)).until(() -> JSON.readTree(sidecar.getOps("/ready").body())
                    .at("/migrations/" + KEY.replace("/", "~1") + "/state").asText().equals("halted"));

            JsonNode alert = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> trippedAlert(prometheus), a -> a.isPresent() && a.get().path("state").asText()
                            .equals("firing")).orElseThrow();
            assertThat(alert.at("/labels/key").asText()).isEqualTo(KEY);
            assertThat(alert.at("/labels/action").asText()).isEqualTo("halt");
            assertThat(alert.at("/labels/severity").asText()).isEqualTo("critical");
            assertThat(alert.at("/labels/reason").asText()).startsWith("guard tripped:");
            assertThat(alert.at("/annotations/description").asText()).startsWith("guard tripped:")
                    .contains("new 30.00 % (90 of 300) vs old 1.00 % (7 of 700)");
            assertThat(alert.at("/annotations/summary").asText())
                    .isEqualTo("Crossfade's guard took action halt on " + KEY + " (" + sidecar.opsUri().getAuthority() + ")");
        }
    }

    private static Optional<JsonNode> trippedAlert(PrometheusProcess prometheus) throws Exception {
        for (JsonNode a : JSON.readTree(prometheus.get("/api/v1/alerts").body()).at("/data/alerts")) {
            if (a.at("/labels/alertname").asText().equals("CrossfadeGuardTripped")) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** {@code count} outcomes of distinct units on {@code variant} at 10 %, the first {@code errorShare} failing. */
    private static void perUnit(ArrayNode outcomes, Variant variant, int count, double errorShare) {
        int errors = (int) Math.round(count * errorShare);
        int added = 0;
        for (int i = 0; added < count; i++) {
            String unit = "u-" + i;
            if (Bucketing.variant(KEY, unit, 10_000) == variant) {
                outcomes.add(JSON.createObjectNode().put("key", KEY).put("unit", unit).put("ok", added >= errors));
                added++;
            }
        }
    }
}

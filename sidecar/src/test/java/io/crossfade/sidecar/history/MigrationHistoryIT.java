package io.crossfade.sidecar.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /admin/v1/migrations/{key}/history} and the migration list's content {@code ETag}
 * against the real sidecar: what the console's chart and its live polling rely on.
 */
class MigrationHistoryIT {

    private static final ObjectMapper JSON = new ObjectMapper();
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

    private SidecarProcess started() {
        SettingsFiles.write(settings, "checkout.yaml", """
                settings:
                  db.pool.size: { value: 10 }
                  payments.timeout_ms: { value: 800 }
                migrations:
                  db.pool.size: { to: 20, percent: 5, guard: { minSamples: 1000, window: 1m } }
                """);
        sidecar = SidecarProcess.start(settings, state);
        return sidecar;
    }

    @Test
    void theHistoryHasThePercentAfterEachChangeAndTheErrorRatesOfEachSample() throws Exception {
        started();
        JsonNode first = JSON.readTree(sidecar.adminGet("/admin/v1/migrations/" + KEY + "/history").body());
        assertThat(first.get("key").asText()).isEqualTo(KEY);
        assertThat(first.get("id").asText())
                .isEqualTo(JSON.readTree(sidecar.adminGet("/admin/v1/migrations/" + KEY).body()).get("id").asText());
        assertThat(first.get("interval").asText()).isEqualTo("10s");
        assertThat(first.get("span").asText()).isEqualTo("1h");
        JsonNode point = first.get("points").get(0);
        assertThat(point.get("percent").decimalValue()).isEqualByComparingTo("5");
        assertThat(point.get("state").asText()).isEqualTo("running");
        assertThat(point.get("oldErrorRate").isNull()).isTrue();
        assertThat(point.get("newErrorRate").isNull()).isTrue();

        assertThat(sidecar.adminPost("/admin/v1/migrations/" + KEY + "/percent",
                "{\"percent\": 12.345, \"reason\": \"more\"}").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> lastPoint().get("percent").decimalValue()
                .compareTo(new java.math.BigDecimal("12.345")) == 0);

        // outcomes show in the next sample (every 10 s): 1 error in 4 on new, none on old
        assertThat(sidecar.post("/v1/outcomes", """
                {"outcomes": [{"key": "db.pool.size", "variant": "new", "ok": 3, "errors": 1},
                              {"key": "db.pool.size", "variant": "old", "ok": 10, "errors": 0}]}""").statusCode())
                .isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> lastPoint().get("newErrorRate").isNumber());
        assertThat(lastPoint().get("newErrorRate").asDouble()).isEqualTo(0.25);
        assertThat(lastPoint().get("oldErrorRate").asDouble()).isEqualTo(0.0);
    }

    @Test
    void theHistoryNeedsTheTokenAndAMigration() {
        started();
        HttpResponse<String> anonymous = sidecar.getOps("/admin/v1/migrations/" + KEY + "/history");
        assertThat(anonymous.statusCode()).isEqualTo(401);
        HttpResponse<String> noMigration = sidecar.adminGet("/admin/v1/migrations/payments.timeout_ms/history");
        assertThat(noMigration.statusCode()).isEqualTo(404);
        assertThat(noMigration.body()).contains("setting payments.timeout_ms has no migration");
        assertThat(sidecar.adminGet("/admin/v1/migrations/nope/history").statusCode()).isEqualTo(404);
        assertThat(sidecar.adminPost("/admin/v1/migrations/" + KEY + "/history", "{}").statusCode()).isEqualTo(405);
    }

    @Test
    void theMigrationListAnswers304WhileNothingChanged() {
        started();
        HttpResponse<String> list = sidecar.adminGet("/admin/v1/migrations");
        String etag = list.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> again = SidecarProcess.send(HttpRequest.newBuilder(sidecar.opsUri().resolve("/admin/v1/migrations"))
                .header("Authorization", "Bearer " + sidecar.adminToken()).header("If-None-Match", etag).GET().build());
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();

        assertThat(sidecar.adminPost("/admin/v1/migrations/" + KEY + "/pause", "{}").statusCode()).isEqualTo(200);
        HttpResponse<String> changed = SidecarProcess.send(HttpRequest.newBuilder(sidecar.opsUri().resolve("/admin/v1/migrations"))
                .header("Authorization", "Bearer " + sidecar.adminToken()).header("If-None-Match", etag).GET().build());
        assertThat(changed.statusCode()).isEqualTo(200);
        assertThat(changed.headers().firstValue("ETag")).isPresent().get().isNotEqualTo(etag);
        assertThat(changed.body()).contains("\"paused\"");
    }

    private JsonNode lastPoint() throws Exception {
        JsonNode points = JSON.readTree(sidecar.adminGet("/admin/v1/migrations/" + KEY + "/history").body()).get("points");
        return points.get(points.size() - 1);
    }
}

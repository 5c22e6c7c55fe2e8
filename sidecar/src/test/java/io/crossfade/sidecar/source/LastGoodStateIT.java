package io.crossfade.sidecar.source;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Never serve less than the last good state (issue A): an emptied, truncated or replaced settings
 * file, a deleted directory's worth of files, or a reload that removes most settings is refused; the
 * last-known-good copy is never overwritten by such a set. Against the real sidecar, on the bundled examples
 * (checkout.yaml holds 4 of the 6 settings and the db.pool.size migration).
 */
class LastGoodStateIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Path EXAMPLES = Path.of("..", "examples", "settings");

    @TempDir
    Path settings;
    @TempDir
    Path state;
    SidecarProcess sidecar;
    String checkout;

    @BeforeEach
    void start() throws IOException {
        SettingsFiles.copyDirectory(EXAMPLES, settings);
        checkout = Files.readString(settings.resolve("checkout.yaml"));
        sidecar = SidecarProcess.start(settings, state);
        assertThat(sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 50}").statusCode())
                .isEqualTo(200);
    }

    @AfterEach
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    /** What a bad write, a half copy or a careless edit leaves behind, and the reason each is refused with. */
    static final String[][] BREAKAGES = {
            {"", "declares no settings"},
            {"~\n", "declares no settings"},
            {"---\n", "declares no settings"},
            {"# nothing here yet\n", "declares no settings"},
            {"settings:\n", "declares no settings"},
            // issue B: an alias is never served as the anchor's name
            {"settings:\n  db.pool.size:\n    value: *v\n", "alias '*v' is not supported"},
            {"settings:\n  db.pool.size:\n    value: 1e400\n", "not a finite number"},
    };

    @Test
    void aTruncatedOrBrokenFileIsARefusedReloadNamingTheFileAndNothingIsLost() throws IOException {
        String before = variantOf("user-42");
        for (String[] breakage : BREAKAGES) {
            SettingsFiles.write(settings, "checkout.yaml", breakage[0]);

            JsonNode problem = awaitReloadError();
            assertThat(problem.path("file").asText()).as("file of %s", breakage[0]).isEqualTo("checkout.yaml");
            assertThat(problem.path("reason").asText()).as("reason for %s", breakage[0]).contains(breakage[1]);
            assertStillServingAt50(before);

            SettingsFiles.write(settings, "checkout.yaml", checkout);
            awaitNoReloadError();
            assertStillServingAt50(before);
        }
        SettingsFiles.delete(settings, "checkout.yaml");
        Files.createDirectory(settings.resolve("checkout.yaml"));
        JsonNode problem = awaitReloadError();
        assertThat(problem.path("file").asText()).isEqualTo("checkout.yaml");
        assertThat(problem.path("reason").asText()).contains("is a directory");
        assertStillServingAt50(before);
        assertThat(actions()).doesNotContain("\"retired\"").containsOnlyOnce("\"created\"");
    }

    @Test
    void deletingEveryFileIsRefused() {
        String before = variantOf("user-42");
        SettingsFiles.delete(settings, "checkout.yaml");
        SettingsFiles.delete(settings, "search.json");

        JsonNode problem = awaitReloadError();
        assertThat(problem.path("reason").asText()).contains("would remove every setting");
        assertStillServingAt50(before);
        // not even an operator can serve nothing
        SidecarProcess.Result accepted = sidecar.ctl("reload", "--accept-removals");
        assertThat(accepted.exitCode()).as(accepted.output()).isEqualTo(1);
        assertThat(accepted.output()).contains("would remove every setting");
        assertStillServingAt50(before);
    }

    @Test
    void removingMostSettingsWaitsForAnOperatorAndTheRefusedSetNeverReachesLastKnownGood() {
        String before = variantOf("user-42");

        SettingsFiles.delete(settings, "checkout.yaml"); // 4 of 6 settings: over the 50 % default

        JsonNode problem = awaitReloadError();
        assertThat(problem.path("reason").asText()).contains("would remove 4 of 6 settings", "--max-removal 50%",
                "db.pool.size", "ctl reload --accept-removals");
        assertStillServingAt50(before);
        assertThat(MetricsScrape.parse(sidecar.getOps("/metrics").body())
                .value("crossfade_config_reloads_total", "result", "failure").orElseThrow()).isGreaterThanOrEqualTo(1.0);

        // The refused set never reaches last-known-good: a restart still serves the old settings.
        sidecar = sidecar.restart();
        assertStillServingAt50(before);
        assertThat(json(sidecar.getOps("/ready")).path("source").path("lastKnownGood").asBoolean()).isTrue();
        assertThat(json(sidecar.getOps("/ready")).path("source").path("reloadError").path("problems").get(0)
                .path("reason").asText()).contains("would remove 4 of 6 settings");

        // An operator confirms the removal.
        SidecarProcess.Result accepted = sidecar.ctl("reload", "--accept-removals", "--reason", "checkout retired");
        assertThat(accepted.exitCode()).as(accepted.output()).isZero();
        assertThat(accepted.output()).contains("reloaded");
        assertThat(sidecar.get("/v1/settings/db.pool.size").statusCode()).isEqualTo(404);
        assertThat(sidecar.get("/v1/settings/search.ranking.model").statusCode()).isEqualTo(200);
        assertThat(json(sidecar.getOps("/ready")).path("source").get("reloadError").isNull()).isTrue();
        assertThat(actions()).contains("\"retired\"");

    }

    @Test
    void aRemovalWithinTheLimitIsAppliedWithoutConfirmation() {
        SettingsFiles.delete(settings, "search.json"); // 2 of 6
        await("search settings to go").atMost(WAIT)
                .until(() -> sidecar.get("/v1/settings/search.ranking.model").statusCode() == 404);
        assertThat(json(sidecar.getOps("/ready")).path("source").get("reloadError").isNull()).isTrue();
    }

    private String variantOf(String unit) {
        return json(sidecar.get("/v1/settings/db.pool.size?unit=" + unit)).path("variant").asText();
    }

    private void assertStillServingAt50(String user42Variant) {
        JsonNode read = json(sidecar.get("/v1/settings/db.pool.size?unit=user-42"));
        assertThat(read.path("variant").asText()).isEqualTo(user42Variant);
        assertThat(read.path("migration").path("percent").asDouble()).isEqualTo(50.0);
        assertThat(sidecar.get("/v1/settings/search.ranking.model").statusCode()).isEqualTo(200);
    }

    private JsonNode awaitReloadError() {
        JsonNode[] problem = new JsonNode[1];
        await("a reload error on /ready").atMost(WAIT).until(() -> {
            JsonNode error = json(sidecar.getOps("/ready")).path("source").path("reloadError");
            if (!error.path("problems").isArray() || error.path("problems").isEmpty()) {
                return false;
            }
            problem[0] = error.path("problems").get(0);
            return true;
        });
        return problem[0];
    }

    private void awaitNoReloadError() {
        await("the reload error to clear").atMost(WAIT)
                .until(() -> json(sidecar.getOps("/ready")).path("source").get("reloadError").isNull());
    }

    private String actions() {
        StringBuilder sb = new StringBuilder();
        for (JsonNode e : json(sidecar.adminGet("/admin/v1/events?limit=1000")).path("events")) {
            sb.append('"').append(e.path("action").asText()).append("\" ");
        }
        return sb.toString();
    }

}

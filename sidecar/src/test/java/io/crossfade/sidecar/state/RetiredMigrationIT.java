package io.crossfade.sidecar.state;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A migration whose file disappears keeps its state as a tombstone for {@code --retain-retired}
 * (issue A, last bullet): back within it, the migration resumes where operators left it — across a
 * restart too — with a {@code restored} event; back after it, it starts over, and a
 * {@code forgotten} event said when its state went. Against the real sidecar on the bundled
 * examples (checkout.yaml holds 4 of the 6 settings and the db.pool.size migration, at 5 %).
 */
class RetiredMigrationIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Path EXAMPLES = Path.of("..", "examples", "settings");

    @TempDir
    Path settings;
    @TempDir
    Path state;
    SidecarProcess sidecar;

    @AfterEach
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    @Test
    void aMigrationWhoseFileComesBackResumesAtTheOperatorsPercentEvenAcrossARestart() throws IOException {
        SettingsFiles.copyDirectory(EXAMPLES, settings);
        String checkout = Files.readString(settings.resolve("checkout.yaml"));
        sidecar = SidecarProcess.start(settings, state);
        assertThat(sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 50}").statusCode())
                .isEqualTo(200);
        long revision = json(sidecar.adminGet("/admin/v1/migrations/db.pool.size")).path("revision").asLong();
        String user42 = variantOf("user-42");

        retireCheckout();
        sidecar = sidecar.restart(); // the tombstone is on disk, not only in memory

        SettingsFiles.write(settings, "checkout.yaml", checkout);
        await("db.pool.size to be served again").atMost(WAIT)
                .until(() -> sidecar.get("/v1/settings/db.pool.size").statusCode() == 200);
        JsonNode view = json(sidecar.adminGet("/admin/v1/migrations/db.pool.size"));
        assertThat(view.path("state").path("percent").asDouble()).isEqualTo(50.0);
        assertThat(view.path("state").path("state").asText()).isEqualTo("running");
        assertThat(view.path("revision").asLong()).isEqualTo(revision);
        assertThat(variantOf("user-42")).isEqualTo(user42);
        List<JsonNode> events = events("db.pool.size");
        assertThat(events).extracting(e -> e.path("action").asText())
                .containsExactly("created", "set_percent", "retired", "restored");
        JsonNode restored = events.get(events.size() - 1);
        assertThat(restored.path("reason").asText()).contains("resumes at 50 %", "running", "revision " + revision);
        assertThat(restored.path("to").path("percent").asDouble()).isEqualTo(50.0);
    }

    @Test
    void afterTheRetentionTheStateIsForgottenAndTheMigrationStartsOver() throws IOException {
        SettingsFiles.copyDirectory(EXAMPLES, settings);
        String checkout = Files.readString(settings.resolve("checkout.yaml"));
        sidecar = SidecarProcess.start(settings, state, "--retain-retired", "2s");
        assertThat(sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 50}").statusCode())
                .isEqualTo(200);

        retireCheckout();
        await("the retired migration's state to be forgotten").atMost(WAIT)
                .until(() -> actions("db.pool.size").contains("forgotten"));

        SettingsFiles.write(settings, "checkout.yaml", checkout);
        await("db.pool.size to be served again").atMost(WAIT)
                .until(() -> sidecar.get("/v1/settings/db.pool.size").statusCode() == 200);
        assertThat(json(sidecar.get("/v1/settings/db.pool.size")).path("migration").path("percent").asDouble())
                .isEqualTo(5.0);
        assertThat(actions("db.pool.size")).containsExactly("created", "set_percent", "retired", "forgotten", "created");
    }

    @Test
    void theRetentionFlagIsReadFromTheEnvironmentAndRefusesNonsense() {
        SidecarProcess.Result bad = SidecarProcess.run(Duration.ofSeconds(60), java.util.Map.of(
                "CROSSFADE_RETAIN_RETIRED", "a week"), "serve", "--settings", EXAMPLES.toString(), "--state",
                state.toString());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.output()).contains("--retain-retired", "'a week'");
    }

    /** Removes checkout.yaml and confirms the removal (4 of 6 settings is over the default limit). */
    private void retireCheckout() {
        SettingsFiles.delete(settings, "checkout.yaml");
        await("the removal to be refused until confirmed").atMost(WAIT).until(() -> json(sidecar.getOps("/ready"))
                .path("source").path("reloadError").path("problems").isArray());
        SidecarProcess.Result accepted = sidecar.ctl("reload", "--accept-removals", "--reason", "checkout moved");
        assertThat(accepted.exitCode()).as(accepted.output()).isZero();
        assertThat(sidecar.get("/v1/settings/db.pool.size").statusCode()).isEqualTo(404);
        assertThat(actions("db.pool.size")).endsWith("retired");
    }

    private String variantOf(String unit) {
        return json(sidecar.get("/v1/settings/db.pool.size?unit=" + unit)).path("variant").asText();
    }

    private List<JsonNode> events(String key) {
        List<JsonNode> out = new ArrayList<>();
        json(sidecar.adminGet("/admin/v1/events?limit=1000&key=" + key)).path("events").forEach(out::add);
        return out;
    }

    private List<String> actions(String key) {
        return events(key).stream().map(e -> e.path("action").asText()).toList();
    }
}

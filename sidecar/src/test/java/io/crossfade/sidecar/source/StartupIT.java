package io.crossfade.sidecar.source;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.Reloads;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starting on a broken settings directory: without a saved copy the process exits non-zero and
 * lists the problems; with the last-known-good copy of an earlier run it serves that copy, says so
 * on {@code /ready}, and switches to the directory once it is fixed.
 */
class StartupIT {

    private static final String BROKEN = """
            settings:
              app.limit:
                value: 1
                valeu: 2
            """;

    @TempDir
    Path settings;
    @TempDir
    Path state;

    private SidecarProcess.Result serveToExit() {
        return SidecarProcess.run(Duration.ofSeconds(30), "serve", "--settings", settings.toString(), "--state",
                state.toString(), "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0");
    }

    @Test
    void anInvalidDirectoryWithoutASavedCopyExitsNonZeroListingTheProblems() {
        SettingsFiles.write(settings, "app.yaml", BROKEN);
        SettingsFiles.write(settings, "other.json", "{\"settings\": {\"other\": {\"value\": 1}}, \"extra\": 1}");

        SidecarProcess.Result result = serveToExit();

        assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
        assertThat(result.output())
                .contains("no last-known-good copy")
                .contains("app.yaml:4: app.limit.valeu: unknown field 'valeu'")
                .contains("other.json:1: extra: unknown field 'extra'")
                // the listeners are bound first (a port in use must stop the start before any state
                // is written), but nothing is ever served
                .doesNotContain("Sidecar - serving ");
    }

    @Test
    void aMissingDirectoryExitsNonZero() {
        settings = settings.resolve("does-not-exist");

        SidecarProcess.Result result = serveToExit();

        assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
        assertThat(result.output()).contains("does-not-exist").contains("does not exist");
    }

    @Test
    void theLastKnownGoodCopyIsServedUntilTheDirectoryIsFixed() throws Exception {
        SettingsFiles.write(settings, "app.yaml", "settings:\n  app.limit:\n    value: 1\n  app.mode:\n    value: fast\n");
        try (SidecarProcess first = SidecarProcess.start(settings, state)) {
            // the copy follows every good reload, not just the first load
            SettingsFiles.write(settings, "app.yaml", "settings:\n  app.limit:\n    value: 2\n  app.mode:\n    value: fast\n");
            Reloads.awaitValue(first, "app.limit", "2");
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(state.resolve("last-known-good.json"))
                    .contains("value: 2"));
            first.kill9();
        }
        SettingsFiles.write(settings, "app.yaml", BROKEN);

        try (SidecarProcess second = SidecarProcess.start(settings, state)) {
            assertThat(second.get("/v1/settings/app.limit/value").body()).isEqualTo("2");
            assertThat(second.get("/v1/settings/app.mode/value").body()).isEqualTo("\"fast\"");
            JsonNode ready = json(second.getOps("/ready"));
            assertThat(ready.path("status").asText()).as("not ready alone").isEqualTo("last_known_good");
            assertThat(ready.path("source").path("lastKnownGood").asBoolean()).isTrue();
            JsonNode problem = ready.path("source").path("reloadError").path("problems").path(0);
            assertThat(problem.path("file").asText()).isEqualTo("app.yaml");
            assertThat(problem.path("line").asInt()).isEqualTo(4);
            assertThat(problem.path("key").asText()).isEqualTo("app.limit");
            assertThat(problem.path("field").asText()).isEqualTo("valeu");
            assertThat(second.output()).anyMatch(l -> l.contains("serving the last-known-good copy"));

            SettingsFiles.write(settings, "app.yaml", "settings:\n  app.limit:\n    value: 3\n");

            Reloads.awaitValue(second, "app.limit", "3");
            JsonNode fixed = json(second.getOps("/ready")).path("source");
            assertThat(fixed.path("lastKnownGood").asBoolean()).isFalse();
            assertThat(json(second.getOps("/ready")).path("status").asText()).isEqualTo("ready");
            assertThat(fixed.get("reloadError").isNull()).isTrue();
            assertThat(second.get("/v1/settings/app.mode/value").statusCode()).isEqualTo(404);
        }
    }

    /** Fixing the directory back to exactly the saved content must still leave last-known-good mode. */
    @Test
    void fixingTheDirectoryToTheSavedContentLeavesLastKnownGoodMode() {
        String good = "settings:\n  app.limit:\n    value: 1\n";
        SettingsFiles.write(settings, "app.yaml", good);
        try (SidecarProcess first = SidecarProcess.start(settings, state)) {
            first.kill9();
        }
        SettingsFiles.write(settings, "app.yaml", BROKEN);
        try (SidecarProcess second = SidecarProcess.start(settings, state)) {
            assertThat(json(second.getOps("/ready")).path("source").path("lastKnownGood").asBoolean()).isTrue();

            SettingsFiles.write(settings, "app.yaml", good);

            await().atMost(Reloads.BOUND).pollInterval(Duration.ofMillis(20)).until(() -> {
                JsonNode source = json(second.getOps("/ready")).path("source");
                return !source.path("lastKnownGood").asBoolean() && source.get("reloadError").isNull();
            });
            assertThat(second.get("/v1/settings/app.limit/value").body()).isEqualTo("1");
        }
    }
}

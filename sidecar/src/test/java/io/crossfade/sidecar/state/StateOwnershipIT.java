package io.crossfade.sidecar.state;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A state directory serves only the settings location it belongs to (issue 26): the README's quick
 * start and its FastAPI section once shared the default {@code ./.crossfade-state}, and the second
 * silently served the first one's last-known-good copy. And when the saved copy is served at start
 * because the files are refused, {@code /ready} and the log say so, in words.
 */
class StateOwnershipIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path first;
    @TempDir
    Path second;
    @TempDir
    Path state;

    private static void declare(Path dir, String key) {
        SettingsFiles.write(dir, "app.yaml", "settings:\n  " + key + ":\n    value: 5\n"
                + "migrations:\n  " + key + ":\n    to: 6\n    percent: 10\n");
    }

    private SidecarProcess.Result serve(Path settings) {
        return SidecarProcess.run(Duration.ofSeconds(120), "serve", "--settings", settings.toString(),
                "--state", state.toString(), "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0");
    }

    @Test
    void aStateDirectoryStartedOnOtherSettingsRefusesNamingBothLocationsAndTheFix() throws Exception {
        declare(first, "first.limit");
        declare(second, "second.limit");
        try (SidecarProcess sidecar = SidecarProcess.start(first, state)) {
            assertThat(sidecar.get("/v1/settings/first.limit/value?unit=u").statusCode()).isEqualTo(200);
        }
        String audit = Files.readString(state.resolve("audit.jsonl"));

        SidecarProcess.Result refused = serve(second);

        assertThat(refused.exitCode()).as(refused.output()).isNotZero();
        assertThat(refused.output()).contains("the state directory " + state + " belongs to the settings in "
                + first.toAbsolutePath() + ", not to " + second.toAbsolutePath(), "--state DIR");
        assertThat(refused.output()).doesNotContain("Exception", "last-known-good");
        assertThat(Files.readString(state.resolve("audit.jsonl"))).as("nothing written").isEqualTo(audit);

        // its own location still starts on it, and another state directory takes the second location
        try (SidecarProcess again = SidecarProcess.start(first, state)) {
            assertThat(json(again.getOps("/ready")).path("status").asText()).isEqualTo("ready");
        }
    }

    @Test
    void servingTheLastKnownGoodCopyAtStartIsSaidInReadyAndInTheLog() {
        declare(first, "app.limit");
        SidecarProcess sidecar = SidecarProcess.start(first, state);
        sidecar.close();
        SettingsFiles.write(first, "app.yaml", "settings:\n  app.limit:\n    value: [unclosed\n");

        try (SidecarProcess restarted = SidecarProcess.start(first, state)) {
            JsonNode ready = json(restarted.getOps("/ready"));
            assertThat(ready.path("status").asText()).isEqualTo("last_known_good");
            assertThat(ready.path("source").path("lastKnownGood").asBoolean()).isTrue();
            assertThat(ready.path("source").path("reloadError").path("problems").get(0).path("file").asText())
                    .isEqualTo("app.yaml");
            assertThat(restarted.get("/v1/settings/app.limit/value?unit=u").body()).isEqualTo("5");
            String serving = restarted.output().stream().filter(l -> l.contains("serving 1 setting and 1 migration"))
                    .findFirst().orElseThrow(() -> new AssertionError(String.join("\n", restarted.output())));
            assertThat(serving).contains("from the last-known-good copy saved in " + state, "not the files in "
                    + first, "which are refused: ", "app.yaml");

            // once the files load, it is ready again
            declare(first, "app.limit");
            await("the files to load").atMost(WAIT).untilAsserted(() ->
                    assertThat(json(restarted.getOps("/ready")).path("status").asText()).isEqualTo("ready"));
        }
    }
}

package io.crossfade.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.ApiAnswers;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text that could spoof what an operator reads, and details that need not reach everyone, against
 * the real sidecar with its ops listener on {@code 0.0.0.0} as the image binds it: bidirectional
 * controls and other format characters in operator text are refused naming the character and its
 * position; {@code /ready} shows its details only with the admin token there; a lone surrogate is no
 * OFREP unit.
 */
class StrictInputIT {

    private static final String SETTINGS = """
            settings:
              pay.limit: { value: 10, owner: team-pay }
            migrations:
              pay.limit:
                to: 20
                percent: 5
                owner: alice
            """;

    @TempDir
    static Path settings;

    @TempDir
    static Path state;

    private static SidecarProcess sidecar;

    @BeforeAll
    static void start() {
        SettingsFiles.write(settings, "pay.yaml", SETTINGS);
        sidecar = SidecarProcess.startCommand(java.util.List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar",
                SidecarProcess.jar().toString(), "serve", "--settings", settings.toString(), "--state", state.toString(),
                "--listen", "127.0.0.1:0", "--ops-listen", "0.0.0.0:0"), java.util.Map.of(), settings, state);
    }

    @AfterAll
    static void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    // ---- operator text ----

    @Test
    void aReasonWithABidiOverrideIsRefusedNamingTheCharacterAndItsPosition() {
        String reversed = "fix \u202Eelbat\u202C tables";
        HttpResponse<String> r = sidecar.adminPost("/admin/v1/migrations/pay.limit/percent",
                "{\"percent\": 10, \"reason\": \"" + reversed + "\"}");
        String message = ApiAnswers.assertError(r, 400, "bad_request");
        assertThat(message).contains("U+202E", "RIGHT-TO-LEFT OVERRIDE", "at character 5", "bidirectional");
        assertThat(ApiAnswers.json(sidecar.adminGet("/admin/v1/migrations/pay.limit")).path("state").path("percent").decimalValue())
                .isEqualByComparingTo("5");
    }

    @Test
    void aReasonWithAnIsolateOrAnInvisibleFormatCharacterIsRefusedToo() {
        for (String[] c : new String[][] {{"\\u2067", "U+2067"}, {"\\u200b", "U+200B"}, {"\\ufeff", "U+FEFF"}}) {
            HttpResponse<String> r = sidecar.adminPost("/admin/v1/migrations/pay.limit/pause",
                    "{\"reason\": \"ab" + c[0] + "c\"}");
            assertThat(ApiAnswers.assertError(r, 400, "bad_request")).contains(c[1], "at character 3");
        }
        HttpResponse<String> plain = sidecar.adminPost("/admin/v1/migrations/pay.limit/pause",
                "{\"reason\": \"Grüße, 漢字 and emoji 😀 are fine\"}");
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
        assertThat(sidecar.adminPost("/admin/v1/migrations/pay.limit/resume", "{}").statusCode()).isEqualTo(200);
    }

    @Test
    void anOwnerWithABidiControlInASettingsFileIsARefusedReloadNamingFileFieldAndCharacter() {
        SettingsFiles.write(settings, "pay.yaml", SETTINGS.replace("owner: alice", "owner: \"ali\u2066ce\""));
        try {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode problem = ApiAnswers.json(adminReady()).path("source").path("reloadError").path("problems").path(0);
                assertThat(problem.path("file").asText()).endsWith("pay.yaml");
                assertThat(problem.path("field").asText()).isEqualTo("owner");
                assertThat(problem.path("reason").asText()).contains("U+2066", "at character 4");
            });
        } finally {
            SettingsFiles.write(settings, "pay.yaml", SETTINGS);
            await().atMost(Duration.ofSeconds(30)).until(() -> ApiAnswers.json(adminReady()).path("source")
                    .path("reloadError").isNull());
        }
    }

    // ---- /ready on a listener that is not loopback ----

    @Test
    void readyOnANonLoopbackListenerShowsItsStatusToEveryoneAndItsDetailsOnlyWithTheToken() {
        HttpResponse<String> anyone = sidecar.getOps("/ready");
        assertThat(anyone.statusCode()).isEqualTo(200);
        JsonNode withheld = ApiAnswers.json(anyone.body());
        assertThat(withheld.path("status").asText()).isEqualTo("ready");
        assertThat(withheld.path("details").asText()).contains("admin token");
        assertThat(anyone.body()).doesNotContain(settings.toString(), "pay.limit", "migrations");

        HttpResponse<String> wrongToken = SidecarProcess.send(HttpRequest.newBuilder(sidecar.opsUri().resolve("/ready"))
                .header("Authorization", "Bearer not-the-token-at-all").build());
        assertThat(wrongToken.body()).doesNotContain("pay.limit");

        JsonNode details = ApiAnswers.json(adminReady());
        assertThat(details.path("status").asText()).isEqualTo("ready");
        assertThat(details.path("migrations").has("pay.limit")).isTrue();
        assertThat(details.path("source").path("location").asText()).isEqualTo(settings.toString());
    }

    @Test
    void readyOnTheLoopbackReadListenerStillShowsItsDetails() {
        assertThat(ApiAnswers.json(sidecar.get("/ready").body()).path("migrations").has("pay.limit")).isTrue();
    }

    // ---- OFREP ----

    @Test
    void aLoneSurrogateInAnOfrepTargetingKeyIsInvalidContext() {
        HttpResponse<String> r = sidecar.post("/ofrep/v1/evaluate/flags/pay.limit",
                "{\"context\": {\"targetingKey\": \"user-\\ud800\"}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        JsonNode body = ApiAnswers.json(r.body());
        assertThat(body.path("errorCode").asText()).isEqualTo("INVALID_CONTEXT");
        assertThat(body.path("errorDetails").asText()).contains("lone UTF-16 surrogate", "U+D800", "at character 6");
        HttpResponse<String> paired = sidecar.post("/ofrep/v1/evaluate/flags/pay.limit",
                "{\"context\": {\"targetingKey\": \"user-\\ud83d\\ude00\"}}");
        assertThat(paired.statusCode()).as("a surrogate pair is one character: " + paired.body()).isEqualTo(200);
    }

    private static String adminReady() {
        return sidecar.adminGet("/ready").body();
    }
}

package io.crossfade.sidecar.admin;

import static io.crossfade.sidecar.admin.AdminApiIT.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the admin token comes from, who it names in the audit log, and that it never shows up in a log. */
class AdminTokenIT {

    private static final String SETTINGS = "settings:\n  a.b: { value: 1 }\nmigrations:\n  a.b: { to: 2 }\n";

    @TempDir
    Path settingsDir;

    @TempDir
    Path stateDir;

    @Test
    void aGeneratedTokenIsOwnerOnlyKeptAcrossRestartsAndNeverLogged() throws Exception {
        Files.writeString(settingsDir.resolve("s.yaml"), SETTINGS);
        Path file = stateDir.resolve("admin.token");
        String token;
        try (SidecarProcess sidecar = SidecarProcess.start(settingsDir, stateDir)) {
            token = sidecar.adminToken();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            assertThat(sidecar.adminGet("/admin/v1/migrations").statusCode()).isEqualTo(200);
            assertThat(String.join("\n", sidecar.output())).contains("admin API token generated into " + file)
                    .doesNotContain(token);
        }
        try (SidecarProcess sidecar = SidecarProcess.start(settingsDir, stateDir)) {
            assertThat(sidecar.adminToken()).isEqualTo(token);
            assertThat(sidecar.adminGet("/admin/v1/migrations").statusCode()).isEqualTo(200);
            assertThat(String.join("\n", sidecar.output())).doesNotContain(token);
        }
    }

    @Test
    void namedTokensFromTheTokenFileBecomeTheAuditActor(@TempDir Path secrets) throws Exception {
        Files.writeString(settingsDir.resolve("s.yaml"), SETTINGS);
        Path tokens = secrets.resolve("tokens");
        Files.writeString(tokens, "# who may steer\nalice:alice-0123456789abcdef\ndeploy-bot:bot-0123456789abcdef\n");
        try (SidecarProcess sidecar = SidecarProcess.start(settingsDir, stateDir, "--admin-token-file", tokens.toString())) {
            assertThat(Files.exists(stateDir.resolve("admin.token"))).isFalse();
            assertThat(post(sidecar, "alice-0123456789abcdef", "percent", "{\"percent\": 10, \"reason\": \"a\"}")
                    .statusCode()).isEqualTo(200);
            assertThat(post(sidecar, "bot-0123456789abcdef", "pause", "{\"reason\": \"b\"}").statusCode()).isEqualTo(200);
            assertThat(post(sidecar, "someone-else-0123456", "resume", "{}").statusCode()).isEqualTo(401);

            HttpResponse<String> events = SidecarProcess.send(HttpRequest.newBuilder(
                    sidecar.opsUri().resolve("/admin/v1/events?key=a.b"))
                    .header("Authorization", "Bearer alice-0123456789abcdef").build());
            assertThat(json(events).get("events")).extracting(e -> e.get("actor").asText() + " " + e.get("action").asText())
                    .containsExactly("reload created", "alice set_percent", "deploy-bot pause");
            assertThat(String.join("\n", sidecar.output())).contains("admin API tokens for alice, deploy-bot from " + tokens)
                    .doesNotContain("0123456789abcdef");
        }
    }

    @Test
    void aBrokenTokenFileStopsTheStartWithTheReason(@TempDir Path secrets) throws Exception {
        Files.writeString(settingsDir.resolve("s.yaml"), SETTINGS);
        Path tokens = secrets.resolve("tokens");
        Files.writeString(tokens, "alice:short\n");
        SidecarProcess.Result r = SidecarProcess.run(Duration.ofSeconds(60), "serve", "--settings", settingsDir.toString(),
                "--state", stateDir.toString(), "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0",
                "--admin-token-file", tokens.toString());
        assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains("crossfade: cannot start: " + tokens + " line 1: the token of 'alice' must be"
                + " at least 16 printable characters");
        assertThat(stateDir.resolve("audit.jsonl")).as("nothing changed").doesNotExist();
        assertThat(stateDir.resolve("state.json")).as("nothing changed").doesNotExist();

        SidecarProcess.Result missing = SidecarProcess.run(Duration.ofSeconds(60), "serve", "--settings",
                settingsDir.toString(), "--state", stateDir.toString(), "--listen", "127.0.0.1:0", "--ops-listen",
                "127.0.0.1:0", "--admin-token-file", secrets.resolve("nope").toString());
        assertThat(missing.exitCode()).as(missing.output()).isEqualTo(1);
        assertThat(missing.output()).contains("crossfade: cannot start:").contains(secrets.resolve("nope").toString());
    }

    private static HttpResponse<String> post(SidecarProcess sidecar, String token, String action, String body) {
        return SidecarProcess.send(HttpRequest.newBuilder(sidecar.opsUri().resolve("/admin/v1/migrations/a.b/" + action))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }
}

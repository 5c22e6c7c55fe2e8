package io.crossfade.sidecar.admin;

import static io.crossfade.sidecar.admin.AdminApiIT.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A changed admin token file takes effect without a restart, and a broken one is refused with the
 * tokens in force kept (issue 10, H), against the real sidecar.
 */
class AdminTokenReloadIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String OLD = "old-0123456789abcdef";
    private static final String NEW = "new-0123456789abcdef";

    @TempDir
    Path settingsDir;
    @TempDir
    Path stateDir;

    @Test
    void aRewrittenTokenFileTakesEffectAndABrokenOneKeepsTheTokensInForce(@TempDir Path secrets) throws Exception {
        Files.writeString(settingsDir.resolve("s.yaml"), "settings:\n  a.b: { value: 1 }\n");
        Path tokens = secrets.resolve("tokens");
        Files.writeString(tokens, "alice:" + OLD + "\n");
        try (SidecarProcess sidecar = SidecarProcess.start(settingsDir, stateDir, "--admin-token-file", tokens.toString())) {
            assertThat(status(sidecar, OLD)).isEqualTo(200);
            assertThat(status(sidecar, NEW)).isEqualTo(401);

            replace(tokens, "# rotated\nbob:" + NEW + "\n");
            await("the new token accepted").atMost(WAIT).until(() -> status(sidecar, NEW) == 200);
            assertThat(status(sidecar, OLD)).isEqualTo(401);
            await("the reload logged").atMost(WAIT).until(() -> String.join("\n", sidecar.output())
                    .contains("admin tokens reloaded from " + tokens + ": bob (before: alice)"));

            replace(tokens, "bob:short\n");
            await("the broken file shown on /ready").atMost(WAIT).until(() -> json(sidecar.getOps("/ready"))
                    .path("adminTokens").path("error").asText().contains("line 1: the token of 'bob' must be"));
            assertThat(json(sidecar.getOps("/ready")).path("adminTokens").path("inForce").asText()).startsWith("bob");
            assertThat(json(sidecar.get("/ready")).has("adminTokens")).as("not on the read listener").isFalse();
            assertThat(status(sidecar, NEW)).isEqualTo(200);
            assertThat(String.join("\n", sidecar.output())).contains("admin token file " + tokens
                    + " cannot be used, the tokens loaded before stay in force (bob)");

            Files.delete(tokens);
            await("a deleted file shown on /ready").atMost(WAIT).until(() -> json(sidecar.getOps("/ready"))
                    .path("adminTokens").path("error").asText().contains("does not exist"));
            assertThat(status(sidecar, NEW)).isEqualTo(200);

            Files.writeString(tokens, "bob:" + NEW + "\ncarol:carol-0123456789abcdef\n");
            await("a good file clears the problem").atMost(WAIT).until(() -> !json(sidecar.getOps("/ready"))
                    .has("adminTokens"));
            assertThat(status(sidecar, "carol-0123456789abcdef")).isEqualTo(200);
            assertThat(String.join("\n", sidecar.output())).doesNotContain("0123456789abcdef");
        }
    }

    /** Replaces the file in one rename, as a Secret volume or a careful operator does. */
    private static void replace(Path file, String content) throws Exception {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static int status(SidecarProcess sidecar, String token) {
        return SidecarProcess.send(HttpRequest.newBuilder(sidecar.opsUri().resolve("/admin/v1/migrations"))
                .header("Authorization", "Bearer " + token).build()).statusCode();
    }
}

package io.crossfade.sidecar.state;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads are sacred, even when the state directory is not (issue E): a sidecar restarted on a
 * read-only or full state directory, with unchanged settings, starts and serves the state it saved;
 * {@code /ready} names the problem; operator changes are answered 503 with the cause in words; and
 * it takes writes again by itself once the directory does. On a real tmpfs (remounted read-only,
 * filled, or a directory its sidecar may not write), so it needs permission to mount one (root in
 * CI); skipped otherwise.
 */
class DegradedStartIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String PERCENT = "/admin/v1/migrations/db.pool.size/percent";

    @TempDir
    Path settings;
    @TempDir
    Path mountPoint;
    @TempDir
    Path jarDir;
    Path state;
    SidecarProcess sidecar;
    boolean mounted;

    @BeforeEach
    void mountAndStart() throws Exception {
        mounted = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint.toString());
        assumeTrue(mounted, "cannot mount a tmpfs here (needs root)");
        state = mountPoint.resolve("state");
        SettingsFiles.copyDirectory(Path.of("..", "examples", "settings"), settings);
        sidecar = SidecarProcess.start(settings, state);
        assertThat(sidecar.adminPost(PERCENT, "{\"percent\": 50}").statusCode()).isEqualTo(200);
        assertThat(json(sidecar.getOps("/ready")).path("stateDirectory").path("writable").asBoolean()).isTrue();
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (sidecar != null) {
            sidecar.close();
        }
        if (mounted) {
            run("umount", "-l", mountPoint.toString());
        }
    }

    @Test
    void aReadOnlyStateDirectoryStillStartsServesAndRecoversWhenWritableAgain() throws Exception {
        String user42 = variantOf("user-42");
        sidecar.close();
        assertThat(run("mount", "-o", "remount,ro", mountPoint.toString())).isTrue();

        sidecar = SidecarProcess.start(settings, state);

        assertServingAt50(user42);
        assertDegraded("the state directory is read-only (EROFS)");

        assertThat(run("mount", "-o", "remount,rw", mountPoint.toString())).isTrue();
        awaitWritableAndAChangeAccepted();
    }

    @Test
    void aFullStateDiskStillStartsServesAndRecoversWhenSpaceIsFreed() throws Exception {
        String user42 = variantOf("user-42");
        sidecar.close();
        Path filler = mountPoint.resolve("filler");
        fill(filler);

        sidecar = SidecarProcess.start(settings, state);

        assertServingAt50(user42);
        assertDegraded("no space left on the state directory's device (ENOSPC)");

        Files.delete(filler);
        awaitWritableAndAChangeAccepted();
    }

    @Test
    void aStateDirectoryWithoutWritePermissionStillStartsServesAndRecoversWhenPermitted() throws Exception {
        String user42 = variantOf("user-42");
        sidecar.close();
        // Root ignores permissions, so this sidecar runs as nobody: the directory and its files are
        // nobody's, but the directory itself takes no new files (mode 0555), as after a wrong
        // securityContext or a volume mounted with another owner.
        assertThat(run("chown", "-R", "65534:65534", state.toString())).isTrue();
        assertThat(run("chmod", "0555", state.toString())).isTrue();
        assertThat(run("chmod", "0755", settings.toString())).isTrue();
        Path jar = jarNobodyCanRead();
        sidecar = SidecarProcess.startCommand(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--", Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar",
                jar.toString(), "serve", "--settings", settings.toString(), "--state", state.toString(), "--listen",
                "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"), Map.of("HOME", "/tmp"), settings, state);

        assertServingAt50(user42);
        assertDegraded("the state directory is not writable (EACCES)");

        assertThat(run("chmod", "0755", state.toString())).isTrue();
        awaitWritableAndAChangeAccepted();
    }

    /** A copy of the jar in a directory anyone may enter: the checkout's may not be. */
    private Path jarNobodyCanRead() throws IOException {
        Files.setPosixFilePermissions(jarDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path jar = jarDir.resolve("crossfade-sidecar.jar");
        Files.copy(SidecarProcess.jar(), jar, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        return jar;
    }

    private void assertServingAt50(String user42) {
        assertThat(variantOf("user-42")).isEqualTo(user42);
        assertThat(json(sidecar.get("/v1/settings/db.pool.size")).path("migration").path("percent").asDouble())
                .isEqualTo(50.0);
        assertThat(sidecar.getOps("/ready").statusCode()).as("reads are served: ready").isEqualTo(200);
    }

    private String variantOf(String unit) {
        return json(sidecar.get("/v1/settings/db.pool.size?unit=" + unit)).path("variant").asText();
    }

    private void assertDegraded(String cause) {
        JsonNode dir = json(sidecar.getOps("/ready")).path("stateDirectory");
        assertThat(dir.path("writable").asBoolean()).as(dir.toString()).isFalse();
        assertThat(dir.path("problem").asText()).isEqualTo(cause);
        assertThat(json(sidecar.get("/ready")).path("stateDirectory").path("problem").asText())
                .as("the read listener says so too, without a path").isEqualTo(cause);
        HttpResponse<String> refused = sidecar.adminPost(PERCENT, "{\"percent\": 60}");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(json(refused.body()).path("message").asText()).contains(cause).doesNotContain(state.toString());
        assertThat(json(sidecar.get("/v1/settings/db.pool.size")).path("migration").path("percent").asDouble())
                .isEqualTo(50.0);
    }

    private void awaitWritableAndAChangeAccepted() {
        await("the state directory to take writes again").atMost(WAIT)
                .until(() -> json(sidecar.getOps("/ready")).path("stateDirectory").path("writable").asBoolean());
        assertThat(json(sidecar.getOps("/ready")).path("stateDirectory").get("problem").isNull()).isTrue();
        HttpResponse<String> accepted = sidecar.adminPost(PERCENT, "{\"percent\": 60}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
        // durable: a restart keeps it
        sidecar = sidecar.restart();
        assertThat(json(sidecar.get("/v1/settings/db.pool.size")).path("migration").path("percent").asDouble())
                .isEqualTo(60.0);
    }

    private static boolean run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor() == 0;
    }

    private static void fill(Path filler) {
        byte[] block = new byte[4096];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException expected) {
            // the disk is full
        }
    }
}

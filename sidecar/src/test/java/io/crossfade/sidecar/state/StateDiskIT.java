package io.crossfade.sidecar.state;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full state disk (part of issue E), on a real 512 KiB tmpfs: operator writes are refused with
 * 503 and the cause in words while reads keep serving, a failed write leaves no temporary file, and
 * writes work again by themselves once space is freed. Needs permission to mount a tmpfs (root in
 * CI); skipped otherwise.
 */
class StateDiskIT {

    @TempDir
    Path settings;
    @TempDir
    Path mountPoint;
    SidecarProcess sidecar;
    boolean mounted;

    @AfterEach
    void cleanUp() throws Exception {
        if (sidecar != null) {
            sidecar.close();
        }
        if (mounted) {
            new ProcessBuilder("umount", mountPoint.toString()).inheritIO().start().waitFor();
        }
    }

    @Test
    void aFullStateDiskRefusesWritesInWordsKeepsServingAndRecoversByItself() throws Exception {
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", mountPoint.toString())
                .redirectErrorStream(true).start();
        mounted = mount.waitFor() == 0;
        assumeTrue(mounted, "cannot mount a tmpfs here (needs root)");
        Path state = mountPoint.resolve("state");
        SettingsFiles.copyDirectory(Path.of("..", "examples", "settings"), settings);
        sidecar = SidecarProcess.start(settings, state);
        String before = sidecar.get("/v1/settings/db.pool.size/value?unit=user-42").body();

        Path filler = mountPoint.resolve("filler");
        fill(filler);

        HttpResponse<String> refused = sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 50}");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(json(refused.body()).path("message").asText()).contains("no space left", "(ENOSPC)");
        assertThat(sidecar.get("/v1/settings/db.pool.size/value?unit=user-42").body()).isEqualTo(before);
        try (var files = Files.list(state)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }

        Files.delete(filler);
        HttpResponse<String> accepted = sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 50}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
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

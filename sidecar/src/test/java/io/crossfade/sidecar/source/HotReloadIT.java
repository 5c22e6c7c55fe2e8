package io.crossfade.sidecar.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.sidecar.testing.Reloads;
import io.crossfade.sidecar.testing.RunningSidecar;
import io.crossfade.sidecar.testing.SettingsFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Changes to a plain settings directory are served within the documented second. Each test owns
 * its own file and keys, so they share one sidecar and run in any order.
 */
class HotReloadIT {

    @RegisterExtension
    static final RunningSidecar sidecar = RunningSidecar.withFile("edit.yaml", "settings:\n  edit.value:\n    value: 1\n")
            .andFile("inplace.yaml", "settings:\n  inplace.value:\n    value: 1\n")
            .andFile("removed.json", "{\"settings\": {\"removed.value\": {\"value\": \"here\"}}}")
            .andFile("slow.yaml", slowFile(1));

    @Test
    void anEditIsServedWithinASecond() {
        assertThat(sidecar.get("/v1/settings/edit.value/value").body()).isEqualTo("1");

        SettingsFiles.write(sidecar.settingsDir(), "edit.yaml", "settings:\n  edit.value:\n    value: 2\n");

        Reloads.awaitValue(sidecar.process(), "edit.value", "2");
    }

    @Test
    void anEditWrittenInPlaceIsServedWithinASecond() throws IOException {
        assertThat(sidecar.get("/v1/settings/inplace.value/value").body()).isEqualTo("1");

        Files.writeString(sidecar.settingsDir().resolve("inplace.yaml"), "settings:\n  inplace.value:\n    value: \"two\"\n");

        Reloads.awaitValue(sidecar.process(), "inplace.value", "\"two\"");
    }

    @Test
    void anAddedFileIsServedWithinASecond() {
        assertThat(sidecar.get("/v1/settings/added.value/value").statusCode()).isEqualTo(404);

        SettingsFiles.write(sidecar.settingsDir(), "added.yml", "settings:\n  added.value:\n    value: {on: true}\n");

        Reloads.awaitValue(sidecar.process(), "added.value", "{\"on\":true}");
    }

    @Test
    void aRemovedFileStopsBeingServedWithinASecond() {
        assertThat(sidecar.get("/v1/settings/removed.value/value").body()).isEqualTo("\"here\"");

        SettingsFiles.delete(sidecar.settingsDir(), "removed.json");

        Reloads.awaitGone(sidecar.process(), "removed.value");
    }

    /**
     * A file rewritten in place is empty, then half written, for a moment; an empty file is valid
     * (no settings), so loading it then would take its settings away. Readers must see only the
     * old or the new value while a slow writer rewrites it.
     */
    @Test
    void aFileBeingRewrittenInPlaceIsNeverServedHalfWritten() throws Exception {
        assertThat(sidecar.get("/v1/settings/slow.last/value").body()).isEqualTo("1");
        String text = slowFile(2);
        byte[] next = text.getBytes(StandardCharsets.UTF_8);
        int half = text.indexOf("  slow.last:");
        // Reads all along, until the new value shows or the bound passes (plus the writer's own time).
        long deadline = System.nanoTime() + Reloads.BOUND.toNanos() + TimeUnit.MILLISECONDS.toNanos(100);
        CompletableFuture<List<String>> reader = CompletableFuture.supplyAsync(() -> {
            List<String> seen = new ArrayList<>();
            String last = "";
            while (!last.equals("200:2") && System.nanoTime() < deadline) {
                var r = sidecar.get("/v1/settings/slow.last/value");
                last = r.statusCode() + ":" + r.body();
                seen.add(last);
            }
            return seen;
        });

        try (FileChannel file = FileChannel.open(sidecar.settingsDir().resolve("slow.yaml"), StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            file.force(true);
            // a slow writer: the empty file, then its first half, sit on disk alone for a moment
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            file.write(ByteBuffer.wrap(next, 0, half));
            file.force(true);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            file.write(ByteBuffer.wrap(next, half, next.length - half));
        }

        List<String> seen = reader.get(5, TimeUnit.SECONDS);
        assertThat(seen).as("answers while the file was rewritten").isNotEmpty().last().isEqualTo("200:2");
        assertThat(seen).allMatch(answer -> answer.equals("200:1") || answer.equals("200:2"));
    }

    private static String slowFile(int value) {
        StringBuilder sb = new StringBuilder("settings:\n");
        for (int i = 0; i < 50; i++) {
            sb.append("  slow.filler").append(i).append(":\n    value: ").append(value).append('\n');
        }
        return sb.append("  slow.last:\n    value: ").append(value).append('\n').toString();
    }
}

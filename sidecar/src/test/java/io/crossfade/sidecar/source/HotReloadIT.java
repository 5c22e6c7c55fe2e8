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
 * Changes to a plain settings directory are served (how fast: bench/reaction.py). Each test owns
 * its own file and keys, so they share one sidecar and run in any order.
 */
class HotReloadIT {

    @RegisterExtension
    static final RunningSidecar sidecar = RunningSidecar.withFile("edit.yaml", "settings:\n  edit.value:\n    value: 1\n")
            .andFile("inplace.yaml", "settings:\n  inplace.value:\n    value: 1\n")
            .andFile("removed.json", "{\"settings\": {\"removed.value\": {\"value\": \"here\"}}}")
            .andFile("slow.yaml", slowFile(1));

    @Test
    void anEditIsServed() {
        assertThat(sidecar.get("/v1/settings/edit.value/value").body()).isEqualTo("1");

        SettingsFiles.write(sidecar.settingsDir(), "edit.yaml", "settings:\n  edit.value:\n    value: 2\n");

        Reloads.awaitValue(sidecar.process(), "edit.value", "2");
    }

    @Test
    void anEditWrittenInPlaceIsServed() throws IOException {
        assertThat(sidecar.get("/v1/settings/inplace.value/value").body()).isEqualTo("1");

        Files.writeString(sidecar.settingsDir().resolve("inplace.yaml"), "settings:\n  inplace.value:\n    value: \"two\"\n");

        Reloads.awaitValue(sidecar.process(), "inplace.value", "\"two\"");
    }

    @Test
    void anAddedFileIsServed() {
        assertThat(sidecar.get("/v1/settings/added.value/value").statusCode()).isEqualTo(404);

        SettingsFiles.write(sidecar.settingsDir(), "added.yml", "settings:\n  added.value:\n    value: {on: true}\n");

        Reloads.awaitValue(sidecar.process(), "added.value", "{\"on\":true}");
    }

    @Test
    void aRemovedFileStopsBeingServed() {
        assertThat(sidecar.get("/v1/settings/removed.value/value").body()).isEqualTo("\"here\"");

        SettingsFiles.delete(sidecar.settingsDir(), "removed.json");

        Reloads.awaitGone(sidecar.process(), "removed.value");
    }

    /**
     * A file rewritten in place is empty, then half written, for a moment; an empty file is valid
     * (no settings), so loading it then would take its settings away. Readers must see only the
     * old or the new value while a slow writer rewrites it.
     *
     * <p>The source's promise is conditional: it loads a file once it has been left alone for its
     * settle period (100 ms), so a writer that pauses longer than that mid-file is indistinguishable
     * from one that finished. On a loaded machine the writer's own fsyncs and pauses can exceed it;
     * such an attempt proves nothing either way and is tried again (up to five times) rather than
     * judged.
     */
    @Test
    void aFileBeingRewrittenInPlaceIsNeverServedHalfWritten() throws Exception {
        assertThat(sidecar.get("/v1/settings/slow.last/value").body()).isEqualTo("1");
        for (int attempt = 2; attempt <= 6; attempt++) {
            String text = slowFile(attempt);
            byte[] next = text.getBytes(StandardCharsets.UTF_8);
            int half = text.indexOf("  slow.last:");
            String done = "200:" + attempt;
            String before = "200:" + (attempt - 1);
            // Reads all along, until the new value shows or the (generous) bound passes.
            long deadline = System.nanoTime() + Reloads.BOUND.toNanos();
            CompletableFuture<List<String>> reader = CompletableFuture.supplyAsync(() -> {
                List<String> seen = new ArrayList<>();
                String last = "";
                while (!last.equals(done) && System.nanoTime() < deadline) {
                    var r = sidecar.get("/v1/settings/slow.last/value");
                    last = r.statusCode() + ":" + r.body();
                    seen.add(last);
                }
                return seen;
            });

            long longestGap;
            try (FileChannel file = FileChannel.open(sidecar.settingsDir().resolve("slow.yaml"), StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                long t0 = System.nanoTime();
                file.force(true);
                // a slow writer: the empty file, then its first half, sit on disk alone for a moment
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                file.write(ByteBuffer.wrap(next, 0, half));
                long t1 = System.nanoTime();
                file.force(true);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                file.write(ByteBuffer.wrap(next, half, next.length - half));
                long t2 = System.nanoTime();
                longestGap = TimeUnit.NANOSECONDS.toMillis(Math.max(t1 - t0, t2 - t1));
            }

            List<String> seen = reader.get(60, TimeUnit.SECONDS);
            assertThat(seen).as("answers while the file was rewritten").isNotEmpty().last().isEqualTo(done);
            if (longestGap >= 80) {
                continue; // the writer paused as long as a finished file: not this attempt's to judge
            }
            assertThat(seen).allMatch(answer -> answer.equals(before) || answer.equals(done));
            return;
        }
        org.junit.jupiter.api.Assumptions.abort("the machine paused the writer past the settle period in every attempt");
    }

    private static String slowFile(int value) {
        StringBuilder sb = new StringBuilder("settings:\n");
        for (int i = 0; i < 50; i++) {
            sb.append("  slow.filler").append(i).append(":\n    value: ").append(value).append('\n');
        }
        return sb.append("  slow.last:\n    value: ").append(value).append('\n').toString();
    }
}

package io.crossfade.sidecar.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableFilesTest {

    @TempDir
    Path dir;

    @Test
    void strayTemporariesAreRemovedAndNothingElse() throws IOException {
        Files.writeString(dir.resolve(".state.json.tmp"), "half");
        Files.writeString(dir.resolve(".audit.tmp"), "half");
        Files.writeString(dir.resolve("state.json"), "{}");
        Files.writeString(dir.resolve("notes.tmp"), "not ours");
        assertThat(DurableFiles.removeStrayTemporaries(dir)).isEqualTo(2);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("state.json", "notes.tmp");
        }
    }

    @Test
    void aFailedWriteLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("missing-dir").resolve("state.json");
        try {
            DurableFiles.writeAtomically(target, new byte[] {1}, false);
        } catch (IOException expected) {
            // the parent does not exist
        }
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void causesAreSaidInWords() {
        assertThat(DurableFiles.cause(new FileSystemException("/s/state.json", null, "No space left on device")))
                .isEqualTo("no space left on the state directory's device (ENOSPC)");
        assertThat(DurableFiles.cause(new FileSystemException("/s/state.json", null, "Read-only file system")))
                .isEqualTo("the state directory is read-only (EROFS)");
        assertThat(DurableFiles.cause(new AccessDeniedException("/s/state.json")))
                .isEqualTo("the state directory is not writable (EACCES)");
    }
}

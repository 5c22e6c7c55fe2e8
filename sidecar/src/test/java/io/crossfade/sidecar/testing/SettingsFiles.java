package io.crossfade.sidecar.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes settings files the way a careful tool does: to a hidden temporary file beside the target,
 * then renamed over it, so a watching sidecar sees either the old or the new content, never half
 * of it. Tests that count reloads rely on that: one change, one reload.
 */
public final class SettingsFiles {

    private SettingsFiles() {
    }

    /** Replaces (or creates) {@code dir/name} with {@code content} in one atomic rename. */
    public static void write(Path dir, String name, String content) {
        write(dir, name, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Replaces (or creates) {@code dir/name} with {@code content} in one atomic rename. */
    public static void write(Path dir, String name, byte[] content) {
        Path tmp = dir.resolve("." + name + ".tmp");
        try {
            Files.write(tmp, content);
            Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes {@code dir/name}. */
    public static void delete(Path dir, String name) {
        try {
            Files.delete(dir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies every regular file of {@code from} into {@code to} (not recursive). */
    public static void copyDirectory(Path from, Path to) {
        try (var files = Files.list(from)) {
            Files.createDirectories(to);
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)) {
                    Files.copy(f, to.resolve(f.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

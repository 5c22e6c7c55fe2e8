package io.crossfade.sidecar.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A directory laid out and updated the way the kubelet mounts a ConfigMap (its {@code AtomicWriter}):
 * the files live in a hidden timestamped directory, {@code ..data} links to it, and each visible
 * file is a link {@code NAME -> ..data/NAME}. An update writes a new timestamped directory, points a
 * new {@code ..data_tmp} link at it and renames that over {@code ..data} (the atomic swap), then
 * adds links for new files and removes links of files that are gone.
 */
public final class ConfigMapVolume {

    private final Path dir;
    private Set<String> names = new HashSet<>();
    private Path current;
    private int generation;

    private ConfigMapVolume(Path dir) {
        this.dir = dir;
    }

    /** Lays out {@code files} (name to content) in {@code dir}, which must exist and be empty. */
    public static ConfigMapVolume create(Path dir, Map<String, String> files) {
        ConfigMapVolume volume = new ConfigMapVolume(dir);
        volume.update(files);
        return volume;
    }

    /** Replaces the whole content with {@code files} by one atomic {@code ..data} swap. */
    public void update(Map<String, String> files) {
        try {
            generation++;
            Path next = dir.resolve(String.format("..2026_01_01_00_00_%02d.%d", generation, System.nanoTime()));
            Files.createDirectory(next);
            for (Map.Entry<String, String> f : new TreeMap<>(files).entrySet()) {
                Files.writeString(next.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
            }
            Path tmpLink = dir.resolve("..data_tmp");
            Files.deleteIfExists(tmpLink);
            Files.createSymbolicLink(tmpLink, next.getFileName());
            Files.move(tmpLink, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
            for (String name : files.keySet()) {
                Path link = dir.resolve(name);
                if (!Files.isSymbolicLink(link)) {
                    Files.createSymbolicLink(link, Path.of("..data", name));
                }
            }
            for (String gone : names) {
                if (!files.containsKey(gone)) {
                    Files.delete(dir.resolve(gone));
                }
            }
            if (current != null) {
                deleteTree(current);
            }
            current = next;
            names = new HashSet<>(files.keySet());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path d) throws IOException {
        try (var files = Files.list(d)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.delete(f);
            }
        }
        Files.delete(d);
    }
}

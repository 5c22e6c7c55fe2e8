package io.crossfade.sidecar.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.sidecar.testing.Jdk25;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/crossfade serve} records a class cache once per build of the jar and starts with it: an
 * AOT cache when the {@code java} on the PATH is 25 or newer, an AppCDS archive on 17, and says which.
 * The launcher runs from a copy of the checkout's launcher, Dockerfile, examples and built jar, so
 * the caches it records land in a temporary directory; whether the JVM really uses one is read from
 * the files it maps ({@code /proc/PID/maps}).
 */
class LauncherClassCacheIT {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path checkout;
    @TempDir
    Path settings;
    @TempDir
    Path state;
    private Path jar;

    @BeforeEach
    void copyTheLauncherAndTheJar() throws IOException {
        Files.createDirectories(checkout.resolve("bin"));
        for (String script : List.of("bin/crossfade", "bin/train-cds-archive", "Dockerfile")) {
            Files.copy(ROOT.resolve(script), checkout.resolve(script), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Path examples = ROOT.resolve("examples/settings");
        try (Stream<Path> files = Files.walk(examples)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = checkout.resolve("examples/settings").resolve(examples.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        jar = checkout.resolve("sidecar/target/crossfade-sidecar.jar");
        Files.createDirectories(jar.getParent());
        Files.copy(SidecarProcess.jar(), jar, StandardCopyOption.COPY_ATTRIBUTES);
        SettingsFiles.write(settings, "app.yaml", "settings:\n  app.limit:\n    value: 5\n");
    }

    @Test
    void onJdk25ItRecordsAnAotCacheOnceAndStartsWithIt() throws Exception {
        Assumptions.assumeTrue(Jdk25.home().isPresent(), "no JDK 25 (set -Dcrossfade.jdk25=HOME)");
        Path bin = Jdk25.java().getParent();
        Path cache = jar.resolveSibling("crossfade-sidecar.aot");

        try (SidecarProcess first = serve(bin)) {
            assertThat(first.get("/v1/settings/app.limit/value").body()).isEqualTo("5");
            assertThat(first.output()).contains("crossfade: recording an AOT cache for faster starts (once per build) ...",
                    "crossfade: starting with the AOT cache " + cache);
            assertThat(mapped(first)).as("the JVM maps the cache").contains(cache.toString());
            assertThat(first.output()).noneMatch(l -> l.contains("[aot]"));
        }
        try (SidecarProcess second = serve(bin)) {
            assertThat(second.output()).contains("crossfade: starting with the AOT cache " + cache)
                    .noneMatch(l -> l.contains("recording"));
            assertThat(mapped(second)).contains(cache.toString());
        }
        assertThat(jar.resolveSibling("crossfade-sidecar.jsa")).doesNotExist();
    }

    @Test
    void onJdk17ItRecordsAnAppCdsArchiveAndRecordsAgainAfterARebuild() throws Exception {
        Path bin = Path.of(System.getProperty("java.home"), "bin");
        Assumptions.assumeTrue(Runtime.version().feature() < 25, "the tests run on a JDK before 25");
        Path archive = jar.resolveSibling("crossfade-sidecar.jsa");

        try (SidecarProcess first = serve(bin)) {
            assertThat(first.get("/v1/settings/app.limit/value").body()).isEqualTo("5");
            assertThat(first.output()).contains("crossfade: recording an AppCDS archive for faster starts (once per build) ...",
                    "crossfade: starting with the AppCDS archive " + archive);
            assertThat(mapped(first)).contains(archive.toString());
        }
        assertThat(jar.resolveSibling("crossfade-sidecar.aot")).doesNotExist();

        // a new build of the jar (another modification time): the archive of the old one is not passed
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(5)));
        try (SidecarProcess rebuilt = serve(bin)) {
            assertThat(rebuilt.output()).contains("crossfade: recording an AppCDS archive for faster starts (once per build) ...",
                    "crossfade: starting with the AppCDS archive " + archive);
            assertThat(rebuilt.output()).noneMatch(l -> l.contains("[cds]") || l.contains("[aot]"));
            assertThat(mapped(rebuilt)).contains(archive.toString());
        }
    }

    private SidecarProcess serve(Path javaBin) {
        List<String> command = List.of(checkout.resolve("bin/crossfade").toString(), "serve", "--settings",
                settings.toString(), "--state", state.toString(), "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0");
        return SidecarProcess.startCommand(command, Map.of("PATH", javaBin + ":" + System.getenv("PATH")), settings, state);
    }

    /** The files the sidecar's JVM maps (the launcher execs java, so its pid is the JVM's). */
    private static String mapped(SidecarProcess sidecar) throws IOException {
        return Files.readString(Path.of("/proc", Long.toString(sidecar.pid()), "maps"));
    }
}

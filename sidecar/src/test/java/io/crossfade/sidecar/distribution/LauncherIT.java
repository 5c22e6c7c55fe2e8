package io.crossfade.sidecar.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/crossfade} never runs a stale jar (issue 26): after a {@code git pull} or an edit, a
 * source file or pom.xml newer than the jar makes it rebuild first, and say so. Run on a copy of the
 * launcher in a tree whose {@code mvnw} records that it was called and "builds" by copying the real
 * jar, so the test takes seconds and needs no network.
 */
class LauncherIT {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path tree;
    Path jar;
    Path calls;
    Instant built;

    @BeforeEach
    void aTreeWithABuiltJar() throws IOException {
        Files.createDirectories(tree.resolve("bin"));
        Files.copy(ROOT.resolve("bin/crossfade"), tree.resolve("bin/crossfade"));
        Files.writeString(tree.resolve("pom.xml"), "<project>\n  <modules>\n    <module>config</module>\n"
                + "    <module>sidecar</module>\n  </modules>\n  <profiles><profile><modules>\n"
                + "    <module>bench</module>\n  </modules></profile></profiles>\n</project>\n");
        for (String module : new String[] {"config", "sidecar", "bench"}) {
            Files.createDirectories(tree.resolve(module + "/src/main/java"));
            Files.writeString(tree.resolve(module + "/pom.xml"), "<project/>\n");
            Files.writeString(tree.resolve(module + "/src/main/java/A.java"), "class A {}\n");
        }
        jar = tree.resolve("sidecar/target/crossfade-sidecar.jar");
        calls = tree.resolve("mvnw.calls");
        Files.writeString(tree.resolve("mvnw"), "#!/bin/sh\necho \"$@\" >> '" + calls + "'\n"
                + "mkdir -p sidecar/target && cp '" + SidecarProcess.jar() + "' '" + jar + "'\n");
        Files.setPosixFilePermissions(tree.resolve("mvnw"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(jar.getParent());
        Files.copy(SidecarProcess.jar(), jar);
        // every source an hour old, the jar a minute old: up to date
        built = Instant.now().minus(1, ChronoUnit.MINUTES);
        try (var files = Files.walk(tree)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(1, ChronoUnit.HOURS)));
            }
        }
        Files.setLastModifiedTime(jar, FileTime.from(built));
    }

    private String[] run() throws Exception {
        Process p = new ProcessBuilder(tree.resolve("bin/crossfade").toString(), "ctl", "--help")
                .directory(tree.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new String[] {String.valueOf(p.exitValue()), out};
    }

    @Test
    void anUpToDateJarRunsWithoutABuild() throws Exception {
        String[] r = run();
        assertThat(r[0]).as(r[1]).isEqualTo("0");
        assertThat(r[1]).contains("Usage: crossfade ctl").doesNotContain("rebuilding");
        assertThat(calls).doesNotExist();
    }

    @Test
    void aSourceNewerThanTheJarIsRebuiltAndSaidSo() throws Exception {
        Files.setLastModifiedTime(tree.resolve("config/src/main/java/A.java"), FileTime.from(Instant.now()));

        String[] r = run();

        assertThat(r[0]).as(r[1]).isEqualTo("0");
        assertThat(r[1]).contains("crossfade: config/src/main/java/A.java is newer than the jar; rebuilding");
        assertThat(Files.readString(calls)).contains("package");
        assertThat(Files.getLastModifiedTime(jar).toInstant()).isAfter(built);

        // built once: the next run starts straight away
        Files.delete(calls);
        assertThat(run()[1]).doesNotContain("rebuilding");
        assertThat(calls).doesNotExist();
    }

    @Test
    void aNewerPomRebuildsButAModuleOutsideTheDefaultBuildDoesNot() throws Exception {
        Files.setLastModifiedTime(tree.resolve("bench/src/main/java/A.java"), FileTime.from(Instant.now()));
        assertThat(run()[1]).doesNotContain("rebuilding");

        Files.setLastModifiedTime(tree.resolve("sidecar/pom.xml"), FileTime.from(Instant.now()));
        assertThat(run()[1]).contains("sidecar/pom.xml is newer than the jar; rebuilding");
    }

    @Test
    void aFailedBuildSaysSoAndRunsNothing() throws Exception {
        Files.writeString(tree.resolve("mvnw"), "#!/bin/sh\necho '[ERROR] cannot compile A.java'\nexit 1\n");
        Files.setLastModifiedTime(tree.resolve("sidecar/src/main/java/A.java"), FileTime.from(Instant.now()));

        String[] r = run();

        assertThat(r[0]).isEqualTo("1");
        assertThat(r[1]).contains("cannot compile A.java", "crossfade: the build failed").doesNotContain("Usage:");
    }
}

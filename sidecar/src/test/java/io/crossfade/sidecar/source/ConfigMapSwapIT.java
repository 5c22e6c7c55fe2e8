package io.crossfade.sidecar.source;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.sidecar.testing.ConfigMapVolume;
import io.crossfade.sidecar.testing.Reloads;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A settings directory mounted from a Kubernetes ConfigMap changes only by swapping its
 * {@code ..data} symlink; each kind of change is served.
 */
class ConfigMapSwapIT {

    private static final String BASE = "settings:\n  cm.value:\n    value: 1\n";

    @TempDir
    static Path settings;
    @TempDir
    static Path state;
    static ConfigMapVolume volume;
    static SidecarProcess sidecar;

    @BeforeAll
    static void start() {
        volume = ConfigMapVolume.create(settings, Map.of("settings.yaml", BASE));
        sidecar = SidecarProcess.start(settings, state);
    }

    @AfterAll
    static void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    /** Back to the base content, with every change of an earlier test served (tests run in any order). */
    static void reset() {
        volume.update(Map.of("settings.yaml", BASE));
        Reloads.awaitValue(sidecar, "cm.value", "1");
        Reloads.awaitGone(sidecar, "cm.added");
        Reloads.awaitGone(sidecar, "cm.doomed");
    }

    @Test
    void theMountIsLaidOutLikeTheKubelets() throws Exception {
        assertThat(Files.isSymbolicLink(settings.resolve("..data"))).isTrue();
        assertThat(Files.readSymbolicLink(settings.resolve("settings.yaml"))).isEqualTo(Path.of("..data/settings.yaml"));
        assertThat(Files.readSymbolicLink(settings.resolve("..data")).toString()).startsWith("..20");
    }

    @Test
    void aSwapThatEditsAFileIsServed() {
        reset();

        volume.update(Map.of("settings.yaml", "settings:\n  cm.value:\n    value: 2\n"));

        Reloads.awaitValue(sidecar, "cm.value", "2");
    }

    @Test
    void aSwapThatAddsAFileIsServed() {
        reset();

        volume.update(Map.of("settings.yaml", BASE, "added.json", "{\"settings\":{\"cm.added\":{\"value\":[1]}}}"));

        Reloads.awaitValue(sidecar, "cm.added", "[1]");
    }

    @Test
    void aSwapThatRemovesAFileIsServed() {
        reset();
        volume.update(Map.of("settings.yaml", BASE, "doomed.yaml", "settings:\n  cm.doomed:\n    value: x\n"));
        Reloads.awaitValue(sidecar, "cm.doomed", "\"x\"");

        volume.update(Map.of("settings.yaml", BASE));

        Reloads.awaitGone(sidecar, "cm.doomed");
    }

    /** The kubelet swaps on every ConfigMap update; one that leaves the files as they were changes nothing. */
    @Test
    void aSwapWithTheSameContentKeepsTheSnapshot() {
        reset();
        long version = json(sidecar.getOps("/ready")).path("version").asLong();

        volume.update(Map.of("settings.yaml", BASE));

        // longer than the source's settle time and poll period together
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(30))
                .until(() -> json(sidecar.getOps("/ready")).path("version").asLong() == version);
    }
}

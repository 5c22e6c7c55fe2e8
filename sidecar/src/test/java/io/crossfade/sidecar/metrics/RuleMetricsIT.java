package io.crossfade.sidecar.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gauges the alert rules read (deploy/prometheus/crossfade-rules.yaml) say what the rules assume:
 * a rejected reload, a last-known-good copy, where the guard and the ramp stand, and trip counters
 * that exist before the first trip.
 */
class RuleMetricsIT {

    private static final String GOOD = """
            settings:
              db.pool.size: { value: 10 }
            migrations:
              db.pool.size:
                to: 20
                percent: 10
                guard: { minSamples: 50, window: 5s, action: halt }
                steps: [ { percent: 10, hold: 1h }, { percent: 100 } ]
            """;

    @TempDir
    Path settings;

    @TempDir
    Path state;

    private static MetricsScrape scrape(SidecarProcess sidecar) {
        return MetricsScrape.parse(sidecar.getOps("/metrics").body());
    }

    @Test
    void guardRampAndTripSeriesExistFromTheStartAndAReloadFailureShowsUntilFixed() throws Exception {
        Files.writeString(settings.resolve("checkout.yaml"), GOOD);
        try (SidecarProcess sidecar = SidecarProcess.start(settings, state)) {
            MetricsScrape m = scrape(sidecar);
            String key = "db.pool.size";
            assertThat(m.value("crossfade_guard_trips_total", "key", key, "action", "halt")).hasValue(0);
            assertThat(m.value("crossfade_guard_trips_total", "key", key, "action", "rollback")).hasValue(0);
            assertThat(m.value("crossfade_guard_status", "key", key, "status", "waiting_for_samples")).hasValue(1);
            assertThat(m.value("crossfade_guard_status", "key", key, "status", "healthy")).hasValue(0);
            assertThat(m.value("crossfade_ramp_phase", "key", key, "phase", "holding")).hasValue(1);
            assertThat(m.value("crossfade_ramp_phase", "key", key, "phase", "extended")).hasValue(0);
            assertThat(m.value("crossfade_ramp_hold_seconds", "key", key)).hasValue(3600);
            assertThat(m.value("crossfade_ramp_held_seconds", "key", key).orElseThrow()).isBetween(0.0, 600.0);
            assertThat(m.value("crossfade_rollout_info", "key", key, "state", "running")).hasValue(1);
            assertThat(m.value("crossfade_config_last_reload_successful")).hasValue(1);
            assertThat(m.value("crossfade_config_last_known_good")).hasValue(0);

            // an operator's pause: the reason is in crossfade_rollout_info, the ramp's clock stops
            assertThat(sidecar.adminPost("/admin/v1/migrations/" + key + "/pause", "{\"reason\":\"checking the pool\"}")
                    .statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                MetricsScrape s = scrape(sidecar);
                assertThat(s.value("crossfade_rollout_info", "key", key, "state", "paused", "reason", "checking the pool"))
                        .hasValue(1);
                assertThat(s.value("crossfade_ramp_phase", "key", key, "phase", "stopped")).hasValue(1);
                assertThat(s.value("crossfade_guard_status", "key", key, "status", "idle")).hasValue(1);
            });

            Files.writeString(settings.resolve("checkout.yaml"), "settings: [ not a map");
            await().atMost(Duration.ofSeconds(30)).until(
                    () -> scrape(sidecar).value("crossfade_config_last_reload_successful").orElse(-1) == 0);
            Files.writeString(settings.resolve("checkout.yaml"), GOOD.replace("value: 10", "value: 11"));
            await().atMost(Duration.ofSeconds(30)).until(
                    () -> scrape(sidecar).value("crossfade_config_last_reload_successful").orElse(-1) == 1);
        }
    }

    @Test
    void aStartOnBrokenFilesServesTheLastKnownGoodCopyAndSaysSo() throws Exception {
        Files.writeString(settings.resolve("checkout.yaml"), GOOD);
        try (SidecarProcess first = SidecarProcess.start(settings, state)) {
            assertThat(scrape(first).value("crossfade_config_last_known_good")).hasValue(0);
        }
        Files.writeString(settings.resolve("checkout.yaml"), "settings: [ not a map");
        try (SidecarProcess second = SidecarProcess.start(settings, state)) {
            MetricsScrape m = scrape(second);
            assertThat(m.value("crossfade_config_last_known_good")).hasValue(1);
            assertThat(m.value("crossfade_config_last_reload_successful")).hasValue(0);
        }
    }
}

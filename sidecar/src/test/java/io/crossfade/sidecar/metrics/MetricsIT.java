package io.crossfade.sidecar.metrics;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.config.Bucketing;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.Reloads;
import io.crossfade.sidecar.testing.RunningSidecar;
import io.crossfade.sidecar.testing.SettingsFiles;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code GET /metrics} on the ops listener carries the design's metrics with the right values. */
class MetricsIT {

    private static final String SETTINGS = """
            settings:
              pay.timeout:
                value: 800
              pay.retries:
                value: 2
              pay.static:
                value: x
            migrations:
              pay.timeout:
                to: 1200
                percent: 12.345
              pay.retries:
                to: 3
                percent: 0
            """;

    @RegisterExtension
    static final RunningSidecar sidecar = RunningSidecar.withFile("pay.yaml", SETTINGS);

    static MetricsScrape scrape() {
        HttpResponse<String> r = sidecar.getOps("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
        return MetricsScrape.parse(r.body());
    }

    @Test
    void readsAreCountedByKeyAndVariantAndTimed() {
        int newReads = 0;
        int oldReads = 0;
        MetricsScrape before = scrape();
        for (int i = 0; i < 40; i++) {
            String unit = "m-" + i;
            sidecar.get("/v1/settings/pay.timeout?unit=" + unit);
            if (Bucketing.variant("pay.timeout", unit, 12_345) == Variant.NEW) {
                newReads++;
            } else {
                oldReads++;
            }
        }
        sidecar.get("/v1/settings/pay.static/value");
        sidecar.get("/v1/settings/pay.static");
        assertThat(newReads).as("units on the new side among 40").isPositive();

        MetricsScrape after = scrape();
        assertThat(after.valueOrZero("crossfade_reads_total", "key", "pay.timeout", "variant", "new")
                - before.valueOrZero("crossfade_reads_total", "key", "pay.timeout", "variant", "new")).isEqualTo(newReads);
        assertThat(after.valueOrZero("crossfade_reads_total", "key", "pay.timeout", "variant", "old")
                - before.valueOrZero("crossfade_reads_total", "key", "pay.timeout", "variant", "old")).isEqualTo(oldReads);
        assertThat(after.valueOrZero("crossfade_reads_total", "key", "pay.static", "variant", "static")
                - before.valueOrZero("crossfade_reads_total", "key", "pay.static", "variant", "static")).isEqualTo(2);
        // a series exists only for variants that were served
        assertThat(after.value("crossfade_reads_total", "key", "pay.timeout", "variant", "static")).isEmpty();
        assertThat(after.value("crossfade_reads_total", "key", "pay.static", "variant", "new")).isEmpty();

        double count = after.value("crossfade_read_duration_seconds_count").orElseThrow();
        assertThat(count - before.valueOrZero("crossfade_read_duration_seconds_count")).isEqualTo(42);
        assertThat(after.value("crossfade_read_duration_seconds_sum").orElseThrow()).isPositive();
        assertThat(after.value("crossfade_read_duration_seconds_bucket", "le", "+Inf")).hasValue(count);
        assertThat(after.samples("crossfade_read_duration_seconds_bucket")).hasSizeGreaterThan(10);
    }

    @Test
    void rolloutGaugesShowEachMigrationsPercentAndState() {
        MetricsScrape m = scrape();

        assertThat(m.value("crossfade_rollout_percent", "key", "pay.timeout")).hasValue(12.345);
        assertThat(m.value("crossfade_rollout_percent", "key", "pay.retries")).hasValue(0.0);
        assertThat(m.value("crossfade_rollout_percent", "key", "pay.static")).isEmpty();
        assertThat(m.value("crossfade_rollout_state", "key", "pay.timeout", "state", "running")).hasValue(1.0);
        for (String other : new String[] {"paused", "halted", "rolled_back", "completed"}) {
            assertThat(m.value("crossfade_rollout_state", "key", "pay.timeout", "state", other)).as(other).hasValue(0.0);
        }
    }

    @Test
    void theSnapshotVersionIsTheOneServed() {
        long served = json(sidecar.getOps("/ready")).path("version").asLong();

        assertThat((long) scrape().value("crossfade_snapshot_version").orElseThrow()).isEqualTo(served);
    }

    @Test
    void reloadsAreCountedAndMoveTheGauges() {
        MetricsScrape before = scrape();

        SettingsFiles.write(sidecar.settingsDir(), "pay.yaml", SETTINGS.replace("percent: 12.345", "percent: 12.345\n    owner: bob")
                .replace("pay.static:\n    value: x", "pay.static:\n    value: y"));
        Reloads.awaitValue(sidecar.process(), "pay.static", "\"y\"");

        // The reload is counted once its future completes, just after the new snapshot is served.
        org.awaitility.Awaitility.await("the reload to be counted").atMost(java.time.Duration.ofSeconds(30))
                .until(() -> scrape().valueOrZero("crossfade_config_reloads_total", "result", "success")
                        - before.valueOrZero("crossfade_config_reloads_total", "result", "success") >= 1);
        MetricsScrape after = scrape();
        assertThat(after.valueOrZero("crossfade_config_reloads_total", "result", "success")
                - before.valueOrZero("crossfade_config_reloads_total", "result", "success")).isEqualTo(1);
        assertThat(after.value("crossfade_config_reloads_total", "result", "failure")).isPresent();
        assertThat((long) after.value("crossfade_snapshot_version").orElseThrow())
                .isEqualTo(json(sidecar.getOps("/ready")).path("version").asLong())
                .isGreaterThan((long) before.value("crossfade_snapshot_version").orElseThrow());
        assertThat(after.value("crossfade_rollout_percent", "key", "pay.timeout")).hasValue(12.345);
    }

    @Test
    void theResponseCacheReportsCaffeineStatistics() {
        MetricsScrape before = scrape();
        for (int i = 0; i < 5; i++) {
            sidecar.get("/v1/settings/pay.retries/value?unit=c-" + i);
        }

        MetricsScrape after = scrape();
        double hits = after.valueOrZero("cache_gets_total", "cache", "responses", "result", "hit")
                - before.valueOrZero("cache_gets_total", "cache", "responses", "result", "hit");
        double misses = after.valueOrZero("cache_gets_total", "cache", "responses", "result", "miss")
                - before.valueOrZero("cache_gets_total", "cache", "responses", "result", "miss");
        assertThat(hits + misses).isEqualTo(5);
        assertThat(hits).as("all 5 units read the same prepared response").isGreaterThanOrEqualTo(4);
        assertThat(after.value("cache_size", "cache", "responses").orElseThrow()).isPositive();
        assertThat(after.value("cache_evictions_total", "cache", "responses")).isPresent();
    }

    @Test
    void jvmAndProcessMetricsArePresent() {
        MetricsScrape m = scrape();

        for (String name : new String[] {"jvm_memory_used_bytes", "jvm_gc_max_data_size_bytes", "jvm_threads_live_threads",
                "jvm_classes_loaded_classes", "process_cpu_usage", "process_uptime_seconds", "process_start_time_seconds",
                "process_files_open_files", "system_cpu_count"}) {
            assertThat(m.has(name)).as(name).isTrue();
        }
    }

    @Test
    void metricsAreNotServedOnTheReadListener() {
        assertThat(sidecar.get("/metrics").statusCode()).isEqualTo(404);
    }
}

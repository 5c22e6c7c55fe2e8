package io.crossfade.sidecar.metrics;

import com.github.benmanes.caffeine.cache.Cache;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.MigrationState;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.rollout.PublishedState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The sidecar's Prometheus metrics (names as the design lists them). Meters used on the read path
 * are created once and cached, so recording a read is a map lookup and two atomic adds.
 * Thread-safe.
 */
public final class CrossfadeMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ConcurrentHashMap<String, AtomicReferenceArray<Counter>> reads = new ConcurrentHashMap<>();
    private final Timer readDuration;
    private final Counter reloadSuccess;
    private final Counter reloadFailure;
    private final AtomicLong snapshotVersion = new AtomicLong();
    private final MultiGauge rolloutPercent;
    private final MultiGauge rolloutState;
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();

    public CrossfadeMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        readDuration = Timer.builder("crossfade.read.duration")
                .description("time to answer a settings read, from request to response written")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(1_000))
                .maximumExpectedValue(Duration.ofMillis(100))
                .register(registry);
        reloadSuccess = Counter.builder("crossfade.config.reloads").tag("result", "success")
                .description("settings reloads, by result").register(registry);
        reloadFailure = Counter.builder("crossfade.config.reloads").tag("result", "failure")
                .description("settings reloads, by result").register(registry);
        Gauge.builder("crossfade.snapshot.version", snapshotVersion, AtomicLong::doubleValue)
                .description("version of the snapshot being served").register(registry);
        rolloutPercent = MultiGauge.builder("crossfade.rollout.percent")
                .description("share of units on the new value, percent").register(registry);
        rolloutState = MultiGauge.builder("crossfade.rollout.state")
                .description("1 for the migration's current state, 0 for the others").register(registry);
    }

    /** The registry, for more meters and for scraping. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * Counts one read of {@code key} that got {@code variant}, answered in {@code nanos}. A
     * (key, variant) series appears with its first read, so a scrape lists only variants that were
     * served (a migrated key has no {@code static} series, an unmigrated one no {@code old}/{@code new}).
     */
    public void read(String key, Variant variant, long nanos) {
        AtomicReferenceArray<Counter> counters = reads.get(key);
        if (counters == null) {
            counters = reads.computeIfAbsent(key, k -> new AtomicReferenceArray<>(Variant.values().length));
        }
        Counter counter = counters.get(variant.ordinal());
        if (counter == null) {
            // Racing threads may both register: the registry hands both the same meter.
            counter = Counter.builder("crossfade.reads").tags("key", key, "variant", variant.wireName())
                    .description("settings reads, by key and variant").register(registry);
            counters.set(variant.ordinal(), counter);
        }
        counter.increment();
        readDuration.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Counts a settings reload. */
    public void reload(boolean success) {
        (success ? reloadSuccess : reloadFailure).increment();
    }

    /** Updates the rollout gauges to {@code state}. */
    public void published(PublishedState state) {
        snapshotVersion.set(state.snapshot().version());
        List<MultiGauge.Row<?>> percents = new ArrayList<>();
        List<MultiGauge.Row<?>> states = new ArrayList<>();
        for (ActiveMigration m : state.snapshot().migrations().values()) {
            String key = m.spec().key();
            percents.add(MultiGauge.Row.of(Tags.of("key", key), m.status().effectivePercent() / 1000.0));
            for (MigrationState s : MigrationState.values()) {
                states.add(MultiGauge.Row.of(Tags.of("key", key, "state", s.wireName()),
                        m.status().state() == s ? 1 : 0));
            }
        }
        rolloutPercent.register(percents, true);
        rolloutState.register(states, true);
    }

    /** Exposes a Caffeine cache's statistics as {@code cache_*} metrics. */
    public void monitor(Cache<?, ?> cache, String name) {
        CaffeineCacheMetrics.monitor(registry, cache, name);
    }

    /** The Prometheus text exposition. Costs milliseconds with many meters: call off the event loop. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gcMetrics.close();
        registry.close();
    }
}

package io.crossfade.sidecar.metrics;

import com.github.benmanes.caffeine.cache.Cache;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.MigrationState;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.guard.GuardStatus;
import io.crossfade.sidecar.guard.GuardView;
import io.crossfade.sidecar.guard.MigrationHealth;
import io.crossfade.sidecar.guard.RampStatus;
import io.crossfade.config.GuardAction;
import io.crossfade.sidecar.rollout.MigrationRecord;
import io.crossfade.sidecar.rollout.Published;
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
    private final MultiGauge rolloutInfo;
    private final MultiGauge guardStatus;
    private final MultiGauge rampPhase;
    private final MultiGauge rampHeld;
    private final MultiGauge rampHold;
    private volatile MigrationHealth health = MigrationHealth.NONE;
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
        rolloutInfo = MultiGauge.builder("crossfade.rollout.info")
                .description("always 1; labels say the migration's state and the reason of its last change (an alert's"
                        + " annotation joins it in)").register(registry);
        guardStatus = MultiGauge.builder("crossfade.guard.status")
                .description("1 for where the guard of the migration stands now (waiting_for_samples, healthy,"
                        + " tripping, tripped, idle), 0 for the others").register(registry);
        rampPhase = MultiGauge.builder("crossfade.ramp.phase")
                .description("1 for the ramp's current phase (holding, extended, ready, last_step, stopped,"
                        + " off_ramp, over), 0 for the others; only migrations with steps").register(registry);
        rampHeld = MultiGauge.builder("crossfade.ramp.held")
                .description("running time the current step has been held").baseUnit("seconds").register(registry);
        rampHold = MultiGauge.builder("crossfade.ramp.hold")
                .description("the current step's hold as declared; absent on the last step").baseUnit("seconds")
                .register(registry);
    }

    /**
     * Binds the gauges read from the served state and the guard at scrape time:
     * {@code crossfade_config_last_reload_successful} (0 while the last reload was rejected),
     * {@code crossfade_config_last_known_good} (1 while the saved copy is served because the settings
     * directory is broken), and per migration {@code crossfade_guard_status{key,status}},
     * {@code crossfade_ramp_phase{key,phase}}, {@code crossfade_ramp_held_seconds{key}} and
     * {@code crossfade_ramp_hold_seconds{key}} (the alert rules' "stuck" conditions). Call once, before
     * the next {@link #published}.
     *
     * @param published what is served; its {@link Published#current()} is read on each scrape
     * @param health the guard's view; {@link MigrationHealth#describe} is cheap and never blocks
     */
    public void watch(Published published, MigrationHealth health) {
        this.health = health;
        Gauge.builder("crossfade.config.last.reload.successful", published,
                        p -> p.current() == null || p.current().source().lastError().isEmpty() ? 1 : 0)
                .description("1 when the last settings reload was taken, 0 while the last one was rejected")
                .register(registry);
        Gauge.builder("crossfade.config.last.known.good", published,
                        p -> p.current() != null && p.current().source().lastKnownGood() ? 1 : 0)
                .description("1 while the saved last-known-good copy is served because the settings directory is broken")
                .register(registry);
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
        List<MultiGauge.Row<?>> infos = new ArrayList<>();
        for (ActiveMigration m : state.snapshot().migrations().values()) {
            String key = m.spec().key();
            percents.add(MultiGauge.Row.of(Tags.of("key", key), m.status().effectivePercent() / 1000.0));
            MigrationRecord record = state.records().get(key);
            infos.add(MultiGauge.Row.of(Tags.of("key", key, "state", m.status().state().wireName(), "reason",
                    reasonLabel(record == null ? null : record.reason())), 1));
            for (GuardAction action : GuardAction.values()) {
                // Created at 0 before any trip, so that a rule's increase() sees the first trip (a
                // series born at 1 has no increase); the guard counts on this same meter.
                Counter.builder("crossfade.guard.trips").tags("key", key, "action", action.wireName())
                        .description("migrations the guard halted or rolled back").register(registry);
            }
            for (MigrationState s : MigrationState.values()) {
                states.add(MultiGauge.Row.of(Tags.of("key", key, "state", s.wireName()),
                        m.status().state() == s ? 1 : 0));
            }
        }
        rolloutPercent.register(percents, true);
        rolloutState.register(states, true);
        rolloutInfo.register(infos, true);
        healthRows(state);
    }

    /** At most 1000 characters of a reason, on one line: a label value stays bounded (guard reasons run to ~400). */
    static String reasonLabel(String reason) {
        if (reason == null) {
            return "";
        }
        String line = reason.replaceAll("\\s+", " ").strip();
        return line.length() <= 1000 ? line : line.substring(0, 999) + "…";
    }

    /** Rows read from the guard's view at scrape time, one set per migration being served. */
    private void healthRows(PublishedState state) {
        MigrationHealth h = health;
        List<MultiGauge.Row<?>> status = new ArrayList<>();
        List<MultiGauge.Row<?>> phases = new ArrayList<>();
        List<MultiGauge.Row<?>> held = new ArrayList<>();
        List<MultiGauge.Row<?>> hold = new ArrayList<>();
        for (ActiveMigration m : state.snapshot().migrations().values()) {
            String key = m.spec().key();
            for (GuardStatus s : GuardStatus.values()) {
                status.add(MultiGauge.Row.of(Tags.of("key", key, "status", s.wireName()), h,
                        x -> x.describe(key).map(v -> s.wireName().equals(v.guard().status()) ? 1 : 0).orElse(0)));
            }
            if (!m.spec().steps().isEmpty()) {
                for (RampStatus.Phase p : RampStatus.Phase.values()) {
                    phases.add(MultiGauge.Row.of(Tags.of("key", key, "phase", p.wireName()), h,
                            x -> ramp(x, key).map(r -> p.wireName().equals(r.phase()) ? 1 : 0).orElse(0)));
                }
                held.add(MultiGauge.Row.of(Tags.of("key", key), h,
                        x -> ramp(x, key).map(r -> r.heldMillis() / 1000.0).orElse(Double.NaN)));
                hold.add(MultiGauge.Row.of(Tags.of("key", key), h,
                        x -> ramp(x, key).map(r -> r.holdMillis() == null ? Double.NaN : r.holdMillis() / 1000.0)
                                .orElse(Double.NaN)));
            }
        }
        guardStatus.register(status, true);
        rampPhase.register(phases, true);
        rampHeld.register(held, true);
        rampHold.register(hold, true);
    }

    private static java.util.Optional<GuardView.Ramp> ramp(MigrationHealth h, String key) {
        return h.describe(key).map(GuardView::ramp);
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

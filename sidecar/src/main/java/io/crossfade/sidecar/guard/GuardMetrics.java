package io.crossfade.sidecar.guard;

import io.crossfade.config.GuardAction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import io.micrometer.core.instrument.Gauge;

/**
 * The guard's meters: {@code crossfade_outcomes_total{key,variant,result,source}},
 * {@code crossfade_outcomes_dropped_total{reason,source}} (no key label: dropped keys are whatever clients
 * send, and must not grow the registry; {@code source} is {@link OutcomeSource}: {@code api} or
 * {@code proxy}), {@code crossfade_guard_trips_total{key,action}} and
 * {@code crossfade_guard_evidence{key}} (how far the evidence is towards a halt, 0 to 1, as of the
 * guard's last look; 1 is a halt).
 * Counters are created once per key and cached, so counting is a map lookup and an add. Thread-safe.
 */
final class GuardMetrics {

    private static final int OLD_OK = 0;
    private static final int OLD_ERROR = 1;
    private static final int NEW_OK = 2;
    private static final int NEW_ERROR = 3;

    private final MeterRegistry registry;
    private final Map<OutcomeSource, ConcurrentHashMap<String, Counter[]>> outcomes = new EnumMap<>(OutcomeSource.class);
    private final Map<OutcomeSource, Map<DropReason, Counter>> dropped = new EnumMap<>(OutcomeSource.class);
    private final ConcurrentHashMap<String, AtomicLong> evidence = new ConcurrentHashMap<>();

    GuardMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (OutcomeSource source : OutcomeSource.values()) {
            outcomes.put(source, new ConcurrentHashMap<>());
            Map<DropReason, Counter> bySource = new EnumMap<>(DropReason.class);
            for (DropReason reason : DropReason.values()) {
                bySource.put(reason, Counter.builder("crossfade.outcomes.dropped")
                        .tags("reason", reason.wireName(), "source", source.wireName())
                        .description("outcomes counted and dropped because no running migration could use them")
                        .register(registry));
            }
            dropped.put(source, bySource);
        }
    }

    /** Counts one batch's outcomes of a running migration. */
    void outcomes(String key, OutcomeSource source, long oldOk, long oldErrors, long newOk, long newErrors) {
        ConcurrentHashMap<String, Counter[]> bySource = outcomes.get(source);
        Counter[] c = bySource.get(key);
        if (c == null) {
            String s = source.wireName();
            c = bySource.computeIfAbsent(key, k -> new Counter[] {
                outcome(k, "old", "ok", s), outcome(k, "old", "error", s), outcome(k, "new", "ok", s),
                outcome(k, "new", "error", s)
            });
        }
        add(c[OLD_OK], oldOk);
        add(c[OLD_ERROR], oldErrors);
        add(c[NEW_OK], newOk);
        add(c[NEW_ERROR], newErrors);
    }

    private static void add(Counter counter, long n) {
        if (n > 0) {
            counter.increment(n);
        }
    }

    private Counter outcome(String key, String variant, String result, String source) {
        return Counter.builder("crossfade.outcomes").tags("key", key, "variant", variant, "result", result,
                        "source", source)
                .description("outcomes reported for running migrations, by key, variant and result")
                .register(registry);
    }

    /** Counts {@code n} dropped outcomes. */
    void dropped(DropReason reason, OutcomeSource source, long n) {
        dropped.get(source).get(reason).increment(n);
    }

    /** Counts a guard decision made durable. */
    void trip(String key, GuardAction action) {
        Counter.builder("crossfade.guard.trips").tags("key", key, "action", action.wireName())
                .description("migrations the guard halted or rolled back").register(registry).increment();
    }

    /** Sets {@code crossfade_guard_evidence{key}} to {@code toHalt} (0 to 1). */
    void evidence(String key, double toHalt) {
        AtomicLong bits = evidence.get(key);
        if (bits == null) {
            bits = evidence.computeIfAbsent(key, k -> {
                AtomicLong holder = new AtomicLong(Double.doubleToLongBits(0));
                Gauge.builder("crossfade.guard.evidence", holder, h -> Double.longBitsToDouble(h.get())).tag("key", k)
                        .description("how far the guard's evidence is towards a halt: 0 none, 1 halt (ln M / ln(1/alpha))")
                        .strongReference(true).register(registry);
                return holder;
            });
        }
        bits.set(Double.doubleToLongBits(toHalt));
    }
}

package io.crossfade.sidecar.history;

import io.crossfade.config.ActiveMigration;
import io.crossfade.config.DaemonThreads;
import io.crossfade.config.Durations;
import io.crossfade.config.Percent;
import io.crossfade.sidecar.guard.GuardView;
import io.crossfade.sidecar.guard.MigrationHealth;
import io.crossfade.sidecar.rollout.PublishedState;
import io.crossfade.sidecar.rollout.RolloutController;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last hour of every served migration's percent, state and per-variant error rates, kept in
 * memory so that the console can draw a chart without Prometheus ({@code GET
 * /admin/v1/migrations/{key}/history}).
 *
 * <p>A point is taken every {@link #INTERVAL} for each migration, and one more right after each
 * durable change to it (so a percent step shows where it happened, not up to ten seconds later).
 * Error rates are those of the guard's window at that moment, read from {@link MigrationHealth}'s
 * document ({@code guard.outcomes.old|new.errorRate}); null when the window holds no outcomes of
 * that variant or the guard says nothing.
 *
 * <p>Memory is bounded: at most {@link #MAX_POINTS} points per migration, and points older than
 * {@link #SPAN} are dropped. A migration that makes more than about one change every ten seconds
 * therefore keeps less than an hour. A migration whose identity changes (new {@code to}) starts an
 * empty series; a retired one's series is dropped at the next sample. Nothing survives a restart:
 * the chart of a restarted sidecar starts at its start.
 *
 * <p>Thread-safety: {@link #sample()} runs on this class's own timer thread, {@link #changed} on the
 * rollout controller's thread, {@link #view} on event loops; each series is guarded by its own
 * lock, held only to copy or append a few hundred small records, so a reader never waits long.
 */
public final class MigrationHistory implements AutoCloseable {

    /** How often a point is taken for every migration. */
    public static final Duration INTERVAL = Duration.ofSeconds(10);
    /** How far back the history reaches. */
    public static final Duration SPAN = Duration.ofHours(1);
    /** Most points kept per migration: an hour of samples, and as many change points. */
    public static final int MAX_POINTS = (int) (2 * (SPAN.toSeconds() / INTERVAL.toSeconds()));

    private static final Logger LOG = LoggerFactory.getLogger(MigrationHistory.class);

    private final Supplier<PublishedState> state;
    private final MigrationHealth health;
    private final Clock clock;
    private final ConcurrentHashMap<String, Series> series = new ConcurrentHashMap<>();
    private ScheduledExecutorService timer;

    /**
     * @param state what is served now (the rollout controller's {@code current})
     * @param health where the error rates come from (the guard's view)
     * @param clock the time of each point
     */
    public MigrationHistory(Supplier<PublishedState> state, MigrationHealth health, Clock clock) {
        this.state = Objects.requireNonNull(state, "state");
        this.health = Objects.requireNonNull(health, "health");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Starts taking points: one now, one every {@link #INTERVAL}, and one after each durable change
     * {@code controller} makes. Call once.
     */
    public void start(RolloutController controller) {
        controller.onMigrationChange(event -> changed(event.key()));
        timer = DaemonThreads.scheduler("crossfade-history");
        try {
            timer.scheduleAtFixedRate(this::sampleLogged, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private void sampleLogged() {
        try {
            sample();
        } catch (RuntimeException e) {
            LOG.warn("history sample failed: {}", e.toString());
        }
    }

    /** Takes a point for every served migration now, and forgets retired ones. */
    public void sample() {
        PublishedState now = state.get();
        if (now == null) {
            return;
        }
        Instant time = clock.instant();
        series.keySet().removeIf(key -> now.snapshot().migration(key) == null);
        for (ActiveMigration m : now.snapshot().migrations().values()) {
            record(m, time);
        }
    }

    /** Takes a point for the migration of {@code key} now (after a change to it); no-op when it has none. */
    public void changed(String key) {
        PublishedState now = state.get();
        ActiveMigration m = now == null ? null : now.snapshot().migration(key);
        if (m == null) {
            series.remove(key);
            return;
        }
        record(m, clock.instant());
    }

    private void record(ActiveMigration m, Instant time) {
        String key = m.spec().key();
        Double[] rates = errorRates(key);
        Point point = new Point(time, Percent.toDecimal(m.status().effectivePercent()), m.status().state().wireName(),
                rates[0], rates[1]);
        Series s = series.compute(key, (k, old) -> old != null && old.id.equals(m.id()) ? old : new Series(m.id()));
        s.append(point, time.minus(SPAN));
    }

    private Double[] errorRates(String key) {
        GuardView health;
        try {
            health = this.health.describe(key).orElse(null);
        } catch (RuntimeException e) {
            health = null;
        }
        GuardView.Outcomes outcomes = health == null || health.guard() == null ? null : health.guard().outcomes();
        return outcomes == null ? new Double[2] : new Double[] {rate(outcomes.old()), rate(outcomes.newVariant())};
    }

    private static Double rate(GuardView.VariantOutcomes variant) {
        return variant == null ? null : variant.errorRate();
    }

    /**
     * The history of the migration of {@code key}, oldest point first, or empty when it has none
     * (no migration, or none yet). Safe on an event loop.
     */
    public Optional<HistoryView> view(String key) {
        Series s = series.get(key);
        if (s == null) {
            return Optional.empty();
        }
        List<Point> points = s.copy(clock.instant().minus(SPAN));
        return Optional.of(new HistoryView(key, s.id, Durations.format(INTERVAL), Durations.format(SPAN), points));
    }

    /** Stops the timer. */
    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /** One migration's points, a bounded ring in time order. */
    private static final class Series {
        final String id;
        private final Point[] ring = new Point[MAX_POINTS];
        private int start;
        private int size;

        Series(String id) {
            this.id = id;
        }

        synchronized void append(Point point, Instant oldest) {
            dropBefore(oldest);
            if (size > 0 && ring[(start + size - 1) % ring.length].time().equals(point.time())) {
                ring[(start + size - 1) % ring.length] = point; // several changes at one instant: the last counts
                return;
            }
            if (size == ring.length) {
                start = (start + 1) % ring.length;
                size--;
            }
            ring[(start + size) % ring.length] = point;
            size++;
        }

        synchronized List<Point> copy(Instant oldest) {
            List<Point> out = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                Point p = ring[(start + i) % ring.length];
                if (!p.time().isBefore(oldest)) {
                    out.add(p);
                }
            }
            // a change point and a sample taken on two threads may have been appended out of order
            out.sort(Comparator.comparing(Point::time));
            return out;
        }

        private void dropBefore(Instant oldest) {
            while (size > 0 && ring[start].time().isBefore(oldest)) {
                ring[start] = null;
                start = (start + 1) % ring.length;
                size--;
            }
        }
    }
}

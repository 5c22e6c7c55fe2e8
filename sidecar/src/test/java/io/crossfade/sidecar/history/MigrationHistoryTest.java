package io.crossfade.sidecar.history;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsSpec;
import io.crossfade.sidecar.guard.GuardView;
import io.crossfade.sidecar.guard.MigrationHealth;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.Change;
import io.crossfade.sidecar.rollout.RolloutController;
import io.crossfade.sidecar.rollout.SourceStatus;
import io.crossfade.sidecar.state.FileMigrationStore;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MigrationHistoryTest {

    private static final String KEY = "db.pool.size";
    private static final SourceStatus SOURCE = new SourceStatus("directory", "test", "v1", false, Instant.EPOCH,
            List.of(), null);

    @TempDir
    Path settingsDir;

    @TempDir
    Path stateDir;

    private final MovableClock clock = new MovableClock(Instant.parse("2026-06-01T09:00:00Z"));
    private final Map<String, GuardView> healthDocs = new ConcurrentHashMap<>();
    private final MigrationHealth health = key -> Optional.ofNullable(healthDocs.get(key));
    private RolloutController controller;
    private MigrationHistory history;

    @AfterEach
    void close() {
        if (controller != null) {
            controller.close();
        }
    }

    private SettingsSpec spec(String to) throws Exception {
        Files.writeString(settingsDir.resolve("s.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                  other: { value: 1 }
                migrations:
                  db.pool.size: { to: %s, percent: 5 }
                  other: { to: 2 }
                """.formatted(to));
        SettingsDirectory loader = new SettingsDirectory();
        return loader.parse(loader.read(settingsDir));
    }

    private void started() throws Exception {
        controller = new RolloutController(FileMigrationStore.open(stateDir), clock);
        controller.start(spec("20"), SOURCE);
        history = new MigrationHistory(controller::current, health, clock);
        controller.onMigrationChange(event -> history.changed(event.key()));
    }

    private List<Point> points() {
        return history.view(KEY).orElseThrow().points();
    }

    @Test
    void eachSampleTakesAPointOfEveryMigrationWithItsPercentAndState() throws Exception {
        started();
        history.sample();
        clock.advance(MigrationHistory.INTERVAL);
        history.sample();

        HistoryView view = history.view(KEY).orElseThrow();
        assertThat(view.id()).isEqualTo(controller.current().snapshot().migration(KEY).id());
        assertThat(view.interval()).isEqualTo("10s");
        assertThat(view.span()).isEqualTo("1h");
        assertThat(view.points()).hasSize(2);
        assertThat(view.points().get(0).percent()).isEqualByComparingTo("5");
        assertThat(view.points().get(0).state()).isEqualTo("running");
        assertThat(view.points().get(1).time()).isEqualTo(Instant.parse("2026-06-01T09:00:10Z"));
        assertThat(history.view("other")).isPresent();
    }

    @Test
    void aChangeAddsAPointAtOnceWithTheNewPercent() throws Exception {
        started();
        history.sample();
        clock.advance(Duration.ofSeconds(3));
        controller.change(KEY, new Change.SetPercent(12_345), "alice", "more", null).join();

        List<Point> points = points();
        assertThat(points).hasSize(2);
        assertThat(points.get(1).time()).isEqualTo(Instant.parse("2026-06-01T09:00:03Z"));
        assertThat(points.get(1).percent()).isEqualByComparingTo(new BigDecimal("12.345"));
    }

    @Test
    void errorRatesAreTheGuardWindowsAndNullWithoutOutcomes() throws Exception {
        started();
        history.sample();
        healthDocs.put(KEY, new GuardView(new GuardView.Watch("healthy", "healthy", "1m", new GuardView.Outcomes(
                new GuardView.VariantOutcomes(990, 10, 0.01), new GuardView.VariantOutcomes(0, 0, null), null), null, null, null),
                null));
        clock.advance(MigrationHistory.INTERVAL);
        history.sample();

        List<Point> points = points();
        assertThat(points.get(0).oldErrorRate()).isNull();
        assertThat(points.get(0).newErrorRate()).isNull();
        assertThat(points.get(1).oldErrorRate()).isEqualTo(0.01);
        assertThat(points.get(1).newErrorRate()).isNull();
    }

    @Test
    void pointsOlderThanTheSpanAreDropped() throws Exception {
        started();
        history.sample();
        clock.advance(Duration.ofMinutes(30));
        history.sample();
        clock.advance(Duration.ofMinutes(31));

        assertThat(points()).hasSize(1); // the first is now 61 minutes old
        history.sample();
        assertThat(points()).extracting(Point::time)
                .containsExactly(Instant.parse("2026-06-01T09:30:00Z"), Instant.parse("2026-06-01T10:01:00Z"));
    }

    @Test
    void memoryIsBoundedWhateverTheRateOfChanges() throws Exception {
        started();
        for (int i = 0; i < MigrationHistory.MAX_POINTS * 3; i++) {
            clock.advance(Duration.ofMillis(100));
            history.changed(KEY);
        }
        List<Point> points = points();
        assertThat(points).hasSize(MigrationHistory.MAX_POINTS);
        // the newest are kept
        assertThat(points.get(points.size() - 1).time()).isEqualTo(clock.instant());
    }

    @Test
    void aNewMigrationIdentityStartsAnEmptyHistory() throws Exception {
        started();
        history.sample();
        String oldId = history.view(KEY).orElseThrow().id();

        clock.advance(Duration.ofSeconds(5));
        controller.applySpec(spec("30"), SOURCE).join(); // a new `to`: a new migration
        clock.advance(Duration.ofSeconds(5));
        history.sample();

        HistoryView view = history.view(KEY).orElseThrow();
        assertThat(view.id()).isNotEqualTo(oldId);
        assertThat(view.points()).extracting(Point::time)
                .containsExactly(Instant.parse("2026-06-01T09:00:05Z"), Instant.parse("2026-06-01T09:00:10Z"));
    }

    @Test
    void aRetiredMigrationIsForgotten() throws Exception {
        started();
        history.sample();
        Files.writeString(settingsDir.resolve("s.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                  other: { value: 1 }
                migrations:
                  other: { to: 2 }
                """);
        SettingsDirectory loader = new SettingsDirectory();
        controller.applySpec(loader.parse(loader.read(settingsDir)), SOURCE).join();
        history.sample();

        assertThat(history.view(KEY)).isEmpty();
        assertThat(history.view("other")).isPresent();
    }

    /** A clock the test moves by hand. */
    static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}

package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.Bucketing;
import io.crossfade.config.MigrationState;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.rollout.Change;
import io.crossfade.sidecar.rollout.RolloutController;
import io.crossfade.sidecar.rollout.SourceStatus;
import io.crossfade.sidecar.rollout.AuditEvent;
import io.crossfade.sidecar.state.FileMigrationStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard in-process, against a real rollout controller and state directory. */
class GuardTest {

    private static final String KEY = "db.pool.size";

    @TempDir
    Path dir;

    private final AtomicLong millis = new AtomicLong(1_000_000);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<AutoCloseable> open = new ArrayList<>();
    private RolloutController controller;
    private Guard guard;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private void start(String guardSpec, String percent) throws Exception {
        Path settings = dir.resolve("settings");
        Files.createDirectories(settings);
        Files.writeString(settings.resolve("s.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                  payments.timeout_ms: { value: 800 }
                migrations:
                  db.pool.size:
                    to: 20
                    percent: %s
                    guard: %s
                """.formatted(percent, guardSpec));
        startOn(settings);
    }

    private void startOn(Path settings) throws Exception {
        Path state = dir.resolve("state");
        Files.createDirectories(state);
        controller = new RolloutController(FileMigrationStore.open(state), Clock.systemUTC());
        open.add(controller);
        controller.start(new SettingsDirectory().load(settings),
                new SourceStatus("directory", settings.toString(), "v1", false, Instant.now(), List.of(), null));
        guard = new Guard(controller, registry, Clock.systemUTC(), millis::get);
        open.add(guard);
        guard.start();
    }

    private MigrationState state() {
        return controller.current().records().get(KEY).state();
    }

    private JsonNode view() {
        return io.crossfade.sidecar.json.Json.MAPPER.valueToTree(guard.describe(KEY).orElseThrow()).get("guard");
    }

    private static List<Outcome> aggregated(long oldOk, long oldErrors, long newOk, long newErrors) {
        return List.of(new Outcome.Aggregated(KEY, Variant.OLD, oldOk, oldErrors),
                new Outcome.Aggregated(KEY, Variant.NEW, newOk, newErrors));
    }

    @Test
    void haltsThroughTheControllerWhenTheRuleHolds() throws Exception {
        start("{ minSamples: 100, window: 5s }", "10");
        guard.record(aggregated(990, 10, 70, 30));
        await().atMost(Duration.ofSeconds(30)).until(() -> state() == MigrationState.HALTED);
        AuditEvent halt = controller.audit().page(0, KEY, 100).get(1);
        assertThat(halt.actor()).isEqualTo("guard");
        assertThat(halt.action()).isEqualTo("halt");
        assertThat(halt.reason()).startsWith("guard tripped: the new value's error rate is above the 5 % limit")
                .contains("new 30.00 % (30 of 100) vs old 1.00 % (10 of 1000)");
        assertThat(controller.current().records().get(KEY).percent()).isEqualTo(10_000);
        await().atMost(Duration.ofSeconds(30)).until(() -> view().get("status").asText().equals("tripped"));
        assertThat(registry.get("crossfade.guard.trips").tags("key", KEY, "action", "halt").counter().count())
                .isEqualTo(1.0);
    }

    @Test
    void anOperatorResumeClearsTheHaltAndStartsAFreshWindow() throws Exception {
        start("{ minSamples: 100, window: 5s }", "10");
        guard.record(aggregated(990, 10, 70, 30));
        await().atMost(Duration.ofSeconds(30)).until(() -> state() == MigrationState.HALTED);

        controller.change(KEY, new Change.Resume(), "alice", "fixed the pool config", null).get();
        await().atMost(Duration.ofSeconds(30)).until(() -> view().get("status").asText().equals("waiting_for_samples"));
        assertThat(view().get("outcomes").get("new").get("errors").asLong()).isZero();
        assertThat(view().get("lastTrip").get("action").asText()).isEqualTo("halt");
        // the spike that tripped it is still inside the 5 s window in time, but no longer counts
        guard.record(aggregated(990, 10, 99, 1));
        await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(30))
                .until(() -> view().get("status").asText().equals("healthy"));
        assertThat(state()).isEqualTo(MigrationState.RUNNING);
    }

    @Test
    void aRollbackTripAndASetAfterItStartFresh() throws Exception {
        start("{ minSamples: 100, window: 5s, action: rollback }", "10");
        guard.record(aggregated(990, 10, 70, 30));
        await().atMost(Duration.ofSeconds(30)).until(() -> state() == MigrationState.ROLLED_BACK);
        assertThat(controller.current().snapshot().migration(KEY).status().effectivePercent()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.find("crossfade.guard.trips")
                .tags("key", KEY, "action", "rollback").counter() != null);

        controller.change(KEY, new Change.SetPercent(5_000), "alice", "try again at 5 %", null).get();
        await().atMost(Duration.ofSeconds(30)).until(() -> view().get("status").asText().equals("waiting_for_samples"));
        assertThat(view().get("outcomes").get("new").get("ok").asLong()).isZero();
        assertThat(state()).isEqualTo(MigrationState.RUNNING);
    }

    @Test
    void outcomesFromTheProxyAreJudgedAlikeAndCountedUnderTheirSource() throws Exception {
        start("{ minSamples: 100, window: 5s }", "10");
        assertThat(guard.record(aggregated(3, 1, 2, 0), OutcomeSource.PROXY)).isEqualTo(new Guard.Recorded(6, 0));
        assertThat(registry.get("crossfade.outcomes").tags("key", KEY, "variant", "old", "result", "error",
                "source", "proxy").counter().count()).isEqualTo(1);
        assertThat(registry.find("crossfade.outcomes").tag("source", "api").counters()).isEmpty();
    }

    @Test
    void outcomesWithoutARunningMigrationAreCountedAndDropped() throws Exception {
        start("{ minSamples: 100, window: 5s }", "10");
        assertThat(guard.record(List.of(new Outcome.PerUnit("no.such.key", "u", true),
                new Outcome.Aggregated("payments.timeout_ms", Variant.NEW, 5, 1)))).isEqualTo(new Guard.Recorded(0, 7));
        controller.change(KEY, new Change.Pause(), "alice", null, null).get();
        assertThat(guard.record(aggregated(3, 0, 2, 0))).isEqualTo(new Guard.Recorded(0, 5));
        assertThat(registry.get("crossfade.outcomes.dropped").tag("reason", "unknown_key").tag("source", "api").counter().count()).isEqualTo(1);
        assertThat(registry.get("crossfade.outcomes.dropped").tag("reason", "no_migration").tag("source", "api").counter().count()).isEqualTo(6);
        assertThat(registry.get("crossfade.outcomes.dropped").tag("reason", "not_running").tag("source", "api").counter().count()).isEqualTo(5);
        // the guard hears of the pause through the controller's event, on its own thread
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(view().get("status").asText()).isEqualTo("idle"));
    }

    @Test
    void aPerUnitOutcomeCountsForTheVariantTheUnitIsBucketedInto() throws Exception {
        start("{ minSamples: 100, window: 5s }", "10");
        List<Outcome> outcomes = new ArrayList<>();
        int expectedNew = 0;
        for (int i = 0; i < 500; i++) {
            String unit = "user-" + i;
            if (Bucketing.variant(KEY, unit, 10_000) == Variant.NEW) {
                expectedNew++;
            }
            outcomes.add(new Outcome.PerUnit(KEY, unit, i % 2 == 0));
        }
        assertThat(guard.record(outcomes)).isEqualTo(new Guard.Recorded(500, 0));
        JsonNode counts = view().get("outcomes");
        assertThat(counts.get("new").get("ok").asLong() + counts.get("new").get("errors").asLong()).isEqualTo(expectedNew);
        assertThat(counts.get("old").get("ok").asLong() + counts.get("old").get("errors").asLong())
                .isEqualTo(500 - expectedNew);
        assertThat(registry.get("crossfade.outcomes").tags("key", KEY, "variant", "new", "result", "ok").counter().count()
                + registry.get("crossfade.outcomes").tags("key", KEY, "variant", "new", "result", "error").counter().count())
                .isEqualTo(expectedNew);
    }

    @Test
    void outcomesSlideOutOfTheWindowButMinSamplesCountsSinceTheEvidenceBegan() throws Exception {
        start("{ minSamples: 100, window: 5s }", "10");
        guard.record(aggregated(500, 5, 200, 2));
        await().atMost(Duration.ofSeconds(30)).until(() -> view().get("status").asText().equals("healthy"));
        millis.addAndGet(5_000);
        assertThat(view().get("outcomes").get("old").get("errorRate").isNull()).isTrue();
        // the window is empty, but the 202 new-value outcomes since the evidence began still count
        await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(30))
                .until(() -> view().get("status").asText().equals("healthy"));
        assertThat(view().get("evidence").get("since").get("new").get("ok").asLong()).isEqualTo(200);
    }

    @Test
    void aTripSurvivesARestartAsTheGuardsDecision() throws Exception {
        start("{ minSamples: 100, window: 5s }", "10");
        guard.record(aggregated(990, 10, 70, 30));
        await().atMost(Duration.ofSeconds(30)).until(() -> state() == MigrationState.HALTED);
        guard.close();
        controller.close();
        startOn(dir.resolve("settings"));
        assertThat(state()).isEqualTo(MigrationState.HALTED);
        await().atMost(Duration.ofSeconds(30)).until(() -> view().get("status").asText().equals("tripped"));
        assertThat(view().get("message").asText()).startsWith("guard tripped: the new value's error rate is above");
    }
}

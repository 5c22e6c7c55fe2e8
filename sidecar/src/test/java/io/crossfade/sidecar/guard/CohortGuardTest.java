package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.Bucketing;
import io.crossfade.config.GuardAction;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.sidecar.rollout.AuditEvent;
import io.crossfade.sidecar.rollout.RolloutController;
import io.crossfade.sidecar.rollout.SourceStatus;
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

/**
 * Units a cohort placed were not randomised: the guard never compares them, counts them apart, and
 * judges the included ones on new by the ceiling alone.
 */
class CohortGuardTest {

    private static final String KEY = "db.pool.size";
    private static final GuardSpec RULE = new GuardSpec(0.05, 2.0, 100, Duration.ofSeconds(5), 0.99, GuardAction.HALT);

    @TempDir
    Path dir;

    private final AtomicLong millis = new AtomicLong(1_000_000);
    private final List<AutoCloseable> open = new ArrayList<>();
    private RolloutController controller;
    private Guard guard;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    /** Healthy split outcomes: 1 % errors on both sides, units user-0.. by the bucketing at 50 %. */
    private static long[] splitGroups(int units) {
        long[] groups = new long[UnitGroups.SIZE];
        for (int i = 0; i < units; i++) {
            String unit = "user-" + i;
            int side = Bucketing.isNew(KEY, unit, 50_000) ? UnitGroups.NEW : UnitGroups.OLD;
            int at = UnitGroups.index(side, UnitGroups.of(unit));
            groups[at]++;
            groups[at + 1] += i % 100 == 0 ? 1 : 0;
        }
        return groups;
    }

    /** Staff units on new, every outcome an error. */
    private static long[] failingStaff(int units) {
        long[] groups = new long[UnitGroups.SIZE];
        for (int i = 0; i < units; i++) {
            int at = UnitGroups.index(UnitGroups.NEW, UnitGroups.of("staff-" + i));
            groups[at]++;
            groups[at + 1]++;
        }
        return groups;
    }

    @Test
    void aFailingStaffCohortOnNewTripsTheCeilingAndNeverShiftsTheRatioTest() {
        MigrationWatch plain = new MigrationWatch(KEY, "m", RULE, -1, MigrationState.RUNNING, millis::get);
        MigrationWatch withStaff = new MigrationWatch(KEY, "m", RULE, -1, MigrationState.RUNNING, millis::get);
        Verdict plainVerdict = null;
        Verdict staffVerdict = null;
        for (int look = 0; look < 5; look++) {
            long[] split = splitGroups(2000);
            plain.recordUnits(split);
            withStaff.recordUnits(split.clone());
            withStaff.recordCohort(failingStaff(100));
            millis.addAndGet(1_000);
            plainVerdict = plain.look(RULE);
            staffVerdict = withStaff.look(RULE);
            // the comparison is the same, look by look, whatever the staff do
            ChangeEvidence.StartJudgement a = plain.lastUnits().leading();
            ChangeEvidence.StartJudgement b = withStaff.lastUnits().leading();
            assertThat(b.logRatioUngated()).isEqualTo(a.logRatioUngated());
            assertThat(b.logCeiling()).isEqualTo(a.logCeiling());
            assertThat(b.counts()).isEqualTo(a.counts());
            assertThat(withStaff.window().counts()).isEqualTo(plain.window().counts());
        }
        assertThat(plainVerdict.trips()).isFalse();
        assertThat(staffVerdict.kind()).isEqualTo(Verdict.Kind.TRIP_CEILING);
        assertThat(staffVerdict.explanation()).contains("for the units a cohort included is above the 5 % limit")
                .contains("(500 of 500)").contains("placed by a cohort (not compared): included on new 100.00 %");
        // the cohort's ratio test never runs: it has no old side
        assertThat(withStaff.lastCohorts().leading().logRatioUngated()).isZero();
    }

    @Test
    void healthyStaffOnNewLeaveTheVerdictHealthyAndAreShownApart() {
        MigrationWatch watch = new MigrationWatch(KEY, "m", RULE, -1, MigrationState.RUNNING, millis::get);
        long[] staff = failingStaff(100);
        for (int g = 0; g < UnitGroups.GROUPS; g++) {
            staff[UnitGroups.index(UnitGroups.NEW, g) + 1] = 0; // no errors
        }
        Verdict v = null;
        for (int look = 0; look < 3; look++) {
            watch.recordUnits(splitGroups(2000));
            watch.recordCohort(staff);
            millis.addAndGet(1_000);
            v = watch.look(RULE);
        }
        assertThat(v.trips()).isFalse();
        assertThat(v.explanation()).contains("included on new 0.00 % (0 of 300)");
        assertThat(GuardView.outcomes(watch.window().counts(), watch.cohortWindow().counts()).cohort().newVariant().ok())
                .isEqualTo(300);
    }

    private void start(String migration) throws Exception {
        Path settings = dir.resolve("settings");
        Files.createDirectories(settings);
        Files.writeString(settings.resolve("s.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                cohorts:
                  staff: { prefixes: ["staff-"] }
                migrations:
                  db.pool.size: %s
                """.formatted(migration));
        Path state = dir.resolve("state");
        Files.createDirectories(state);
        controller = new RolloutController(FileMigrationStore.open(state), Clock.systemUTC());
        open.add(controller);
        controller.start(new SettingsDirectory().load(settings),
                new SourceStatus("directory", settings.toString(), "v1", false, Instant.now(), List.of(), null));
        guard = new Guard(controller, new SimpleMeterRegistry(), Clock.systemUTC(), millis::get);
        open.add(guard);
        guard.start();
    }

    private JsonNode view() {
        return io.crossfade.sidecar.json.Json.MAPPER.valueToTree(guard.describe(KEY).orElseThrow()).get("guard");
    }

    private static List<Outcome> staffOutcomes(int units, boolean ok) {
        List<Outcome> out = new ArrayList<>();
        for (int i = 0; i < units; i++) {
            out.add(new Outcome.PerUnit(KEY, "staff-" + i, ok));
        }
        return out;
    }

    @Test
    void aCohortOnlyRolloutIsJudgedByTheCeilingAloneAndTheStatusSaysSo() throws Exception {
        start("{ to: 20, percent: 0, include: [staff], guard: { minSamples: 100, window: 5s } }");
        guard.record(staffOutcomes(100, true));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(view().get("message").asText())
                .startsWith("healthy: cohort-only rollout, judged by the ceiling alone"));
        JsonNode outcomes = view().get("outcomes");
        assertThat(outcomes.get("new").get("ok").asLong()).as("nothing in the comparison").isZero();
        assertThat(outcomes.get("cohort").get("new").get("ok").asLong()).isEqualTo(100);

        guard.record(staffOutcomes(100, false));
        await().atMost(Duration.ofSeconds(30))
                .until(() -> controller.current().records().get(KEY).state() == MigrationState.HALTED);
        List<AuditEvent> events = controller.audit().page(0, KEY, 100);
        assertThat(events.get(events.size() - 1).reason()).contains("for the units a cohort included is above the 5 % limit")
                .contains("cohort-only rollout, judged by the ceiling alone");
    }
}

package io.crossfade.sidecar.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.IntNode;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.Setting;
import io.crossfade.config.SettingsSpec;
import io.crossfade.config.Step;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class ReconciliationTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private static final Instant T1 = T0.plusSeconds(3600);
    private static final Duration WEEK = Duration.ofDays(7);

    private static final MigrationSpec A = migration("a", 20, 5_000, List.of());
    private static final MigrationSpec A_NEW_TO = migration("a", 30, 5_000, List.of());
    private static final MigrationSpec A_RAMPED = migration("a", 20, 5_000,
            List.of(new Step(1_000, Duration.ofMinutes(5)), new Step(100_000, null)));
    private static final MigrationSpec B = migration("b", 2, 0, List.of());

    private static MigrationSpec migration(String key, int to, int percent, List<Step> steps) {
        return new MigrationSpec(key, IntNode.valueOf(1), IntNode.valueOf(to), key, percent, null, null, null,
                GuardSpec.DEFAULT, steps, key + ".yaml");
    }

    private static SettingsSpec spec(MigrationSpec... migrations) {
        Map<String, Setting> settings = new TreeMap<>();
        Map<String, MigrationSpec> ms = new TreeMap<>();
        for (String key : List.of("a", "b")) {
            settings.put(key, new Setting(key, IntNode.valueOf(1), null, null, key + ".yaml"));
        }
        for (MigrationSpec m : migrations) {
            ms.put(m.key(), m);
        }
        return new SettingsSpec(settings, ms);
    }

    /** A record as operators left it: {@code percent} and {@code state} at revision 7. */
    private static MigrationRecord left(MigrationSpec spec, int percent, MigrationState state) {
        return Transitions.created(spec, T0).with(percent, state).stamped(7, T0, "operator");
    }

    private static Map<String, MigrationRecord> records(MigrationRecord... rs) {
        Map<String, MigrationRecord> m = new LinkedHashMap<>();
        for (MigrationRecord r : rs) {
            m.put(r.key(), r);
        }
        return m;
    }

    private static Map<String, Tombstone> graves(MigrationRecord... rs) {
        Map<String, Tombstone> m = new LinkedHashMap<>();
        for (MigrationRecord r : rs) {
            m.put(r.id(), new Tombstone(r, T0));
        }
        return m;
    }

    private static List<String> actions(Reconciliation.Result r) {
        List<String> out = new ArrayList<>();
        for (AuditEvent e : r.events()) {
            out.add(e.action() + " " + e.key());
        }
        return out;
    }

    static Stream<Arguments> table() {
        MigrationRecord a50 = left(A, 50_000, MigrationState.RUNNING);
        MigrationRecord aHalted = left(A, 30_000, MigrationState.HALTED);
        MigrationRecord b = left(B, 0, MigrationState.RUNNING);
        return Stream.of(
                // name, records, tombstones, spec, expected actions, expected live (key=percent state), expected graves
                Arguments.of("nothing declared, nothing known", records(), graves(), spec(), List.of(), List.of(), 0),
                Arguments.of("a new migration is created at its initial percent", records(), graves(), spec(A),
                        List.of("created a"), List.of("a=5000 running"), 0),
                Arguments.of("a kept migration keeps its state", records(a50), graves(), spec(A),
                        List.of(), List.of("a=50000 running"), 0),
                Arguments.of("a migration no longer declared is retired into a tombstone", records(a50, b), graves(),
                        spec(B), List.of("retired a"), List.of("b=0 running"), 1),
                Arguments.of("a changed 'to' retires the old identity and creates the new", records(a50), graves(),
                        spec(A_NEW_TO), List.of("retired a", "created a"), List.of("a=5000 running"), 1),
                Arguments.of("a tombstoned migration declared again resumes as it was left", records(), graves(aHalted),
                        spec(A), List.of("restored a"), List.of("a=30000 halted"), 0),
                Arguments.of("changing 'to' back restores the first identity and buries the second",
                        records(left(A_NEW_TO, 10_000, MigrationState.RUNNING)), graves(a50), spec(A),
                        List.of("retired a", "restored a"), List.of("a=50000 running"), 1),
                Arguments.of("new steps refit a kept migration", records(a50), graves(), spec(A_RAMPED),
                        List.of("steps_changed a"), List.of("a=50000 running"), 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void reconcilesByTheTable(String name, Map<String, MigrationRecord> records, Map<String, Tombstone> tombstones,
            SettingsSpec spec, List<String> actions, List<String> live, int graves) {
        Reconciliation.Result r = Reconciliation.reconcile(records, tombstones, spec, T1, WEEK);
        assertThat(actions(r)).as("events").isEqualTo(actions);
        List<String> states = new ArrayList<>();
        for (MigrationRecord m : r.records().values()) {
            states.add(m.key() + "=" + m.percent() + " " + m.state().wireName());
        }
        assertThat(states).as("live records").isEqualTo(live);
        assertThat(r.tombstones()).as("tombstones").hasSize(graves);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void applyingTheSameSpecTwiceChangesNothingTheSecondTime(String name, Map<String, MigrationRecord> records,
            Map<String, Tombstone> tombstones, SettingsSpec spec) {
        Reconciliation.Result once = Reconciliation.reconcile(records, tombstones, spec, T1, WEEK);
        Reconciliation.Result twice = Reconciliation.reconcile(once.records(), once.tombstones(), spec, T1, WEEK);
        assertThat(twice.events()).isEmpty();
        assertThat(twice.changed()).isFalse();
        assertThat(twice.records()).isEqualTo(once.records());
        assertThat(twice.tombstones()).isEqualTo(once.tombstones());
    }

    @Test
    void aRestoredMigrationKeepsItsRevisionAndTheEventSaysSo() {
        MigrationRecord a50 = left(A, 50_000, MigrationState.PAUSED);
        Reconciliation.Result r = Reconciliation.reconcile(records(), graves(a50), spec(A), T1, WEEK);
        MigrationRecord restored = r.records().get("a");
        assertThat(restored.revision()).isEqualTo(7);
        assertThat(restored.percent()).isEqualTo(50_000);
        assertThat(restored.state()).isEqualTo(MigrationState.PAUSED);
        AuditEvent e = r.events().get(0);
        assertThat(e.action()).isEqualTo(AuditEvent.RESTORED);
        assertThat(e.reason()).contains("resumes at 50 %", "paused", "revision 7");
        assertThat(e.withSeq(99).record().revision()).as("the audit log does not re-stamp a restored record").isEqualTo(7);
    }

    @Test
    void aTombstoneIsForgottenAfterItsRetentionWithAnEventAndTheMigrationStartsOver() {
        MigrationRecord a50 = left(A, 50_000, MigrationState.RUNNING);
        Reconciliation.Result expired = Reconciliation.reconcile(records(), graves(a50), spec(B), T0.plus(WEEK), WEEK);
        assertThat(expired.tombstones()).isEmpty();
        assertThat(actions(expired)).containsExactly("forgotten a", "created b");
        AuditEvent forgotten = expired.events().get(0);
        assertThat(forgotten.migration()).isEqualTo(A.id());
        assertThat(forgotten.record()).isNull();
        assertThat(forgotten.reason()).contains("kept for 7d", "starts over");
        Reconciliation.Result back = Reconciliation.reconcile(expired.records(), expired.tombstones(), spec(A),
                T0.plus(WEEK), WEEK);
        assertThat(actions(back)).containsExactly("retired b", "created a");
        assertThat(back.records().get("a").percent()).isEqualTo(5_000);
    }

    @Test
    void aMigrationDeclaredAgainAfterItsRetentionStartsOverEvenWithoutAReloadBetween() {
        MigrationRecord a50 = left(A, 50_000, MigrationState.RUNNING);
        Reconciliation.Result back = Reconciliation.reconcile(records(), graves(a50), spec(A), T0.plus(WEEK), WEEK);
        assertThat(actions(back)).containsExactly("forgotten a", "created a");
        assertThat(back.records().get("a").percent()).isEqualTo(5_000);
        assertThat(back.tombstones()).isEmpty();
    }

    /** Retire, keep, revive — and after the retention, forget — step by step, as reloads see them. */
    static Stream<Arguments> lifeOfATombstone() {
        return Stream.of(
                // name, when the file is back (after retirement at T0), expected actions on return, percent, revision
                Arguments.of("back within a minute", Duration.ofMinutes(1), List.of("restored a"), 50_000, 7L),
                Arguments.of("back a second before the retention ends", WEEK.minusSeconds(1), List.of("restored a"),
                        50_000, 7L),
                Arguments.of("back just as the retention ends", WEEK, List.of("forgotten a", "created a"), 5_000, 0L),
                Arguments.of("back long after", WEEK.multipliedBy(3), List.of("forgotten a", "created a"), 5_000, 0L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lifeOfATombstone")
    void aRetiredMigrationResumesWithinItsRetentionAndStartsOverAfter(String name, Duration gone, List<String> onReturn,
            int percent, long revision) {
        MigrationRecord a50 = left(A, 50_000, MigrationState.RUNNING);
        Reconciliation.Result retired = Reconciliation.reconcile(records(a50), graves(), spec(), T0, WEEK);
        assertThat(actions(retired)).containsExactly("retired a");
        assertThat(retired.tombstones()).containsOnlyKeys(A.id());
        assertThat(retired.tombstones().get(A.id()).retiredAt()).isEqualTo(T0);

        Reconciliation.Result back = Reconciliation.reconcile(retired.records(), retired.tombstones(), spec(A),
                T0.plus(gone), WEEK);
        assertThat(actions(back)).isEqualTo(onReturn);
        assertThat(back.records().get("a").percent()).isEqualTo(percent);
        assertThat(back.records().get("a").revision()).isEqualTo(revision);
        assertThat(back.tombstones()).isEmpty();
    }

    @Test
    void aTombstoneWithinItsRetentionIsKept() {
        MigrationRecord a50 = left(A, 50_000, MigrationState.RUNNING);
        Reconciliation.Result r = Reconciliation.reconcile(records(), graves(a50), spec(B), T0.plus(WEEK).minusSeconds(1), WEEK);
        assertThat(r.tombstones()).containsKey(A.id());
        assertThat(r.changed()).isTrue(); // b was created
    }

    @Test
    void withoutRetentionARetiredMigrationLeavesNoTombstone() {
        MigrationRecord a50 = left(A, 50_000, MigrationState.RUNNING);
        Reconciliation.Result r = Reconciliation.reconcile(records(a50), graves(), spec(), T1, Duration.ZERO);
        assertThat(actions(r)).containsExactly("retired a");
        assertThat(r.tombstones()).isEmpty();
        assertThat(r.events().get(0).reason()).doesNotContain("kept");
    }

    @Test
    void aRampHoldDoesNotRunWhileTheMigrationIsGone() {
        MigrationRecord ramped = Transitions.created(A_RAMPED, T0);
        Reconciliation.Result gone = Reconciliation.reconcile(records(ramped), graves(), spec(), T0.plusSeconds(60), WEEK);
        Tombstone t = gone.tombstones().get(A_RAMPED.id());
        assertThat(t.record().holdStartedAt()).isNull();
        assertThat(t.record().heldMillis()).isEqualTo(60_000);
        Reconciliation.Result back = Reconciliation.reconcile(gone.records(), gone.tombstones(), spec(A_RAMPED), T1, WEEK);
        assertThat(back.records().get("a").held(T1)).isEqualTo(Duration.ofSeconds(60));
    }
}

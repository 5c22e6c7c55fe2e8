package io.crossfade.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SettingsSnapshotTest {

    private static final JsonNode OLD = IntNode.valueOf(10);
    private static final JsonNode NEW = IntNode.valueOf(20);

    private static final Setting POOL = new Setting("db.pool.size", OLD, "team-data", "connections", "a.yaml");
    private static final Setting TIMEOUT = new Setting("payments.timeout_ms", IntNode.valueOf(800), null, null, "a.yaml");
    private static final MigrationSpec POOL_MIGRATION = new MigrationSpec("db.pool.size", OLD, NEW, "pool-salt", 5_000,
            "alice", null, null, GuardSpec.DEFAULT, List.of(), "a.yaml");
    private static final SettingsSpec SPEC = new SettingsSpec(
            Map.of(POOL.key(), POOL, TIMEOUT.key(), TIMEOUT), Map.of(POOL_MIGRATION.key(), POOL_MIGRATION));

    private static SettingsSnapshot snapshot(int percent, MigrationState state) {
        return new SettingsSnapshot(7, SPEC,
                Map.of("db.pool.size", new ActiveMigration(POOL_MIGRATION, new MigrationStatus(percent, state))));
    }

    private static List<String> units(int n) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> "user-" + i).toList();
    }

    @Test
    void staticSettingResolvesToItsValueForEveryUnit() {
        SettingsSnapshot s = snapshot(50_000, MigrationState.RUNNING);
        for (String unit : units(100)) {
            Resolution r = s.resolve("payments.timeout_ms", unit);
            assertThat(r.key()).isEqualTo("payments.timeout_ms");
            assertThat(r.value()).isEqualTo(IntNode.valueOf(800));
            assertThat(r.variant()).isEqualTo(Variant.STATIC);
            assertThat(r.migration()).isNull();
        }
    }

    @Test
    void settingWithoutAnActiveMigrationIsStaticEvenIfTheSpecDeclaresOne() {
        SettingsSnapshot s = new SettingsSnapshot(1, SPEC, Map.of());
        Resolution r = s.resolve("db.pool.size", "u");
        assertThat(r.variant()).isEqualTo(Variant.STATIC);
        assertThat(r.value()).isEqualTo(OLD);
    }

    @Test
    void runningMigrationSplitsUnitsExactlyAsBucketingWithTheSaltDoes() {
        SettingsSnapshot s = snapshot(30_000, MigrationState.RUNNING);
        int onNew = 0;
        for (String unit : units(5_000)) {
            Resolution r = s.resolve("db.pool.size", unit);
            Variant expected = Bucketing.variant("pool-salt", unit, 30_000);
            assertThat(r.variant()).isEqualTo(expected);
            assertThat(r.value()).isEqualTo(expected == Variant.NEW ? NEW : OLD);
            assertThat(r.migration()).isSameAs(s.migration("db.pool.size"));
            onNew += expected == Variant.NEW ? 1 : 0;
        }
        assertThat(onNew).isBetween(1_300, 1_700);
    }

    @Test
    void theSaltNotTheKeyDecidesTheSide() {
        SettingsSnapshot s = snapshot(50_000, MigrationState.RUNNING);
        long differs = units(2_000).stream()
                .filter(u -> Bucketing.variant("pool-salt", u, 50_000) != Bucketing.variant("db.pool.size", u, 50_000))
                .peek(u -> assertThat(s.resolve("db.pool.size", u).variant())
                        .isEqualTo(Bucketing.variant("pool-salt", u, 50_000)))
                .count();
        assertThat(differs).isPositive();
    }

    @Test
    void explicitFromIsWhatOldUnitsRead() {
        MigrationSpec fromElsewhere = new MigrationSpec("db.pool.size", IntNode.valueOf(12), NEW, "db.pool.size", 0,
                null, null, null, GuardSpec.DEFAULT, List.of(), null);
        SettingsSnapshot s = new SettingsSnapshot(1, new SettingsSpec(Map.of(POOL.key(), POOL), Map.of()),
                Map.of("db.pool.size", new ActiveMigration(fromElsewhere, new MigrationStatus(0, MigrationState.RUNNING))));
        assertThat(s.resolve("db.pool.size", "u").value()).isEqualTo(IntNode.valueOf(12));
        assertThat(s.resolve("db.pool.size", "u").variant()).isEqualTo(Variant.OLD);
    }

    @Test
    void rolledBackPutsEveryoneOnOldWhateverThePercent() {
        SettingsSnapshot s = snapshot(90_000, MigrationState.ROLLED_BACK);
        for (String unit : units(2_000)) {
            Resolution r = s.resolve("db.pool.size", unit);
            assertThat(r.variant()).isEqualTo(Variant.OLD);
            assertThat(r.value()).isEqualTo(OLD);
        }
        assertThat(s.migration("db.pool.size").status().percent()).isEqualTo(90_000);
        assertThat(s.migration("db.pool.size").status().effectivePercent()).isZero();
    }

    @Test
    void completedPutsEveryoneOnNewWhateverThePercent() {
        SettingsSnapshot s = snapshot(1_000, MigrationState.COMPLETED);
        for (String unit : units(2_000)) {
            Resolution r = s.resolve("db.pool.size", unit);
            assertThat(r.variant()).isEqualTo(Variant.NEW);
            assertThat(r.value()).isEqualTo(NEW);
        }
        assertThat(s.migration("db.pool.size").status().effectivePercent()).isEqualTo(Percent.FULL);
    }

    @ParameterizedTest
    @EnumSource(value = MigrationState.class, names = {"RUNNING", "PAUSED", "HALTED"})
    void runningPausedAndHaltedServeTheSetPercent(MigrationState state) {
        SettingsSnapshot s = snapshot(25_000, state);
        assertThat(s.migration("db.pool.size").status().effectivePercent()).isEqualTo(25_000);
        int onNew = 0;
        for (String unit : units(4_000)) {
            Variant v = s.resolve("db.pool.size", unit).variant();
            assertThat(v).isEqualTo(Bucketing.variant("pool-salt", unit, 25_000));
            onNew += v == Variant.NEW ? 1 : 0;
        }
        assertThat(onNew).isBetween(800, 1_200);
    }

    @Test
    void unknownKeyResolvesToNull() {
        SettingsSnapshot s = snapshot(50_000, MigrationState.RUNNING);
        assertThat(s.resolve("no.such.key", "u")).isNull();
        assertThat(s.contains("no.such.key")).isFalse();
        assertThat(s.contains("db.pool.size")).isTrue();
        assertThat(s.migration("payments.timeout_ms")).isNull();
    }

    @Test
    void snapshotKeepsItsVersionAndSpec() {
        SettingsSnapshot s = snapshot(0, MigrationState.RUNNING);
        assertThat(s.version()).isEqualTo(7);
        assertThat(s.spec()).isSameAs(SPEC);
        assertThat(s.migrations()).containsOnlyKeys("db.pool.size");
    }

    @Test
    void snapshotIsNotChangedByItsInputMapOrItsCallers() {
        java.util.HashMap<String, ActiveMigration> input = new java.util.HashMap<>();
        input.put("db.pool.size", new ActiveMigration(POOL_MIGRATION, new MigrationStatus(0, MigrationState.RUNNING)));
        SettingsSnapshot s = new SettingsSnapshot(1, SPEC, input);
        input.clear();
        assertThat(s.migrations()).containsOnlyKeys("db.pool.size");
        assertThatThrownBy(() -> s.migrations().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> s.spec().settings().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void migrationOfAnUnknownSettingIsRefused() {
        MigrationSpec ghost = new MigrationSpec("ghost", OLD, NEW, "ghost", 0, null, null, null, GuardSpec.DEFAULT,
                List.of(), null);
        assertThatThrownBy(() -> new SettingsSnapshot(1, SPEC,
                Map.of("ghost", new ActiveMigration(ghost, new MigrationStatus(0, MigrationState.RUNNING)))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ghost");
        assertThatThrownBy(() -> new SettingsSpec(Map.of(), Map.of("ghost", ghost)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ghost");
    }

    @Test
    void activeMigrationIdDefaultsToTheSpecsId() {
        ActiveMigration m = new ActiveMigration(POOL_MIGRATION, new MigrationStatus(0, MigrationState.RUNNING));
        assertThat(m.id()).isEqualTo(POOL_MIGRATION.id());
        assertThat(m.valueOf(Variant.NEW)).isEqualTo(NEW);
        assertThat(m.valueOf(Variant.OLD)).isEqualTo(OLD);
    }

    @Test
    void migrationStatusRefusesPercentsOutsideTheRange() {
        assertThatThrownBy(() -> new MigrationStatus(-1, MigrationState.RUNNING))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MigrationStatus(100_001, MigrationState.RUNNING))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void wireNamesRoundTrip() {
        for (MigrationState state : MigrationState.values()) {
            assertThat(MigrationState.fromWireName(state.wireName())).isEqualTo(state);
        }
        assertThat(MigrationState.ROLLED_BACK.wireName()).isEqualTo("rolled_back");
        assertThat(MigrationState.fromWireName("RUNNING")).isNull();
        assertThat(MigrationState.fromWireName(null)).isNull();
        for (Variant v : Variant.values()) {
            assertThat(Variant.fromWireName(v.wireName())).isEqualTo(v);
        }
        assertThat(Variant.fromWireName("NEW")).isNull();
        assertThat(Variant.fromWireName(null)).isNull();
        assertThat(GuardAction.ROLLBACK.wireName()).isEqualTo("rollback");
    }
}

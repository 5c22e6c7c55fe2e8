package io.crossfade.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.MigrationStatus;
import io.crossfade.config.Setting;
import io.crossfade.config.SettingsProblem;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.SettingsSpec;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.guard.Outcome;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsInjectionTest {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private static Setting setting(String key, JsonNode value) {
        return new Setting(key, value, null, null, "checkout.yaml");
    }

    private static MigrationSpec migration(String key, JsonNode from, JsonNode to) {
        return new MigrationSpec(key, from, to, key, 0, null, null, null, GuardSpec.DEFAULT, List.of(), "checkout.yaml");
    }

    private static SettingsSnapshot snapshot(MigrationState state, int percent) {
        MigrationSpec m = migration("checkout.size", F.numberNode(10), F.numberNode(20));
        SettingsSpec spec = new SettingsSpec(Map.of(
                "checkout.size", setting("checkout.size", F.numberNode(10)),
                "checkout.banner", setting("checkout.banner", F.textNode("héllo \"you\"")),
                "db.pool.size", setting("db.pool.size", F.numberNode(5))),
                Map.of("checkout.size", m));
        return new SettingsSnapshot(1, spec, Map.of("checkout.size",
                new ActiveMigration(m, new MigrationStatus(percent, state))));
    }

    @Test
    void aUnitGetsItsSideOfEachMigrationInBothHeaders() {
        SettingsInjection injection = SettingsInjection.prepare(snapshot(MigrationState.RUNNING, 100_000),
                InjectPatterns.parse("checkout.*"));
        SettingsInjection.Assignment a = injection.assign("anyone");
        assertThat(a.settingsHeader()).isEqualTo("{\"checkout.banner\":\"h\\u00E9llo \\\"you\\\"\",\"checkout.size\":20}");
        assertThat(a.variantsHeader()).isEqualTo("checkout.size=new");
        assertThat(injection.outcomes(a, false)).containsExactly(new Outcome.Aggregated("checkout.size", Variant.NEW, 0, 1));
    }

    @Test
    void everyByteAFieldValueMayNotCarryIsEscapedInKeysAndValues() throws Exception {
        StringBuilder hostile = new StringBuilder();
        for (char c = 0; c < 0x20; c++) {
            hostile.append(c);
        }
        hostile.append('\u007f').append("é\u202e😀");
        var value = F.objectNode().put(hostile.toString(), hostile.toString());
        SettingsSnapshot s = new SettingsSnapshot(1, new SettingsSpec(Map.of("checkout.x", setting("checkout.x", value)),
                Map.of()), Map.of());
        String header = SettingsInjection.prepare(s, InjectPatterns.parse("checkout.*")).assign("u").settingsHeader();
        assertThat(header.chars()).as(header).allMatch(c -> c == ' ' || c == '\t' || (c >= 0x21 && c <= 0x7e));
        assertThat(header).contains("\\u007F").contains("\\u202E");
        assertThat(io.crossfade.sidecar.json.Json.MAPPER.readTree(header).get("checkout.x"))
                .as("the escapes are JSON: the service reads back the very value").isEqualTo(value);
    }

    @Test
    void pausedAndHaltedBlendsAreListedRolledBackOnesAreNot() {
        for (MigrationState state : List.of(MigrationState.PAUSED, MigrationState.HALTED)) {
            SettingsInjection.Assignment a = SettingsInjection.prepare(snapshot(state, 0), InjectPatterns.NONE).assign("u");
            assertThat(a.variantsHeader()).isEqualTo("checkout.size=old");
            assertThat(a.settingsHeader()).isNull();
        }
        SettingsInjection rolledBack = SettingsInjection.prepare(snapshot(MigrationState.ROLLED_BACK, 100_000),
                InjectPatterns.parse("checkout.size"));
        SettingsInjection.Assignment a = rolledBack.assign("u");
        assertThat(a.variantsHeader()).isNull();
        assertThat(a.settingsHeader()).isEqualTo("{\"checkout.size\":10}");
        assertThat(rolledBack.hasMigrationsInEffect()).isFalse();
    }

    @Test
    void preparedAndPerRequestAssignmentsAgreeWithEachMigrationsBucketing() {
        // three migrations are served from the combinations prepared with the snapshot, six are
        // rendered per request: both must give every unit exactly its side of each migration
        for (int count : new int[] {3, 6}) {
            Map<String, Setting> settings = new java.util.TreeMap<>();
            Map<String, MigrationSpec> migrations = new java.util.TreeMap<>();
            Map<String, ActiveMigration> active = new java.util.TreeMap<>();
            for (int i = 0; i < count; i++) {
                String key = "checkout.m" + i;
                MigrationSpec m = migration(key, F.numberNode(i), F.numberNode(100 + i));
                settings.put(key, setting(key, F.numberNode(i)));
                migrations.put(key, m);
                active.put(key, new ActiveMigration(m, new MigrationStatus(50_000, MigrationState.RUNNING)));
            }
            SettingsSnapshot snapshot = new SettingsSnapshot(1, new SettingsSpec(settings, migrations), active);
            SettingsInjection injection = SettingsInjection.prepare(snapshot, InjectPatterns.parse("checkout.*"));
            for (int u = 0; u < 200; u++) {
                String unit = "u-" + u;
                SettingsInjection.Assignment a = injection.assign(unit);
                StringBuilder variants = new StringBuilder();
                StringBuilder json = new StringBuilder("{");
                List<Outcome> outcomes = new java.util.ArrayList<>();
                int i = 0;
                for (ActiveMigration m : active.values()) {
                    Variant v = m.variantFor(unit);
                    variants.append(i == 0 ? "" : ", ").append(m.spec().key()).append('=').append(v.wireName());
                    json.append(i == 0 ? "" : ",").append('"').append(m.spec().key()).append("\":")
                            .append(m.valueOf(v));
                    outcomes.add(new Outcome.Aggregated(m.spec().key(), v, 1, 0));
                    i++;
                }
                assertThat(a.variantsHeader()).isEqualTo(variants.toString());
                assertThat(a.settingsHeader()).isEqualTo(json.append('}').toString());
                assertThat(injection.outcomes(a, true)).isEqualTo(outcomes);
            }
        }
    }

    @Test
    void patternsThatMatchNothingGiveAnEmptyObject() {
        assertThat(SettingsInjection.prepare(snapshot(MigrationState.RUNNING, 0), InjectPatterns.parse("nothing.*"))
                .assign("u").settingsHeader()).isEqualTo("{}");
    }

    @Test
    void theCheckCountsTheLongestValueOfEachKey() {
        String longText = "x".repeat(5000);
        MigrationSpec m = migration("checkout.a", F.textNode("short"), F.textNode(longText));
        SettingsSpec spec = new SettingsSpec(Map.of(
                "checkout.a", setting("checkout.a", F.textNode("short")),
                "checkout.b", setting("checkout.b", F.textNode(longText))), Map.of("checkout.a", m));
        List<SettingsProblem> problems = SettingsInjection.check(spec, InjectPatterns.parse("checkout.*"));
        assertThat(problems).hasSize(1);
        assertThat(problems.get(0).describe()).contains("X-Crossfade-Settings").contains("8192").contains("checkout.a")
                .contains("checkout.b");
        assertThat(SettingsInjection.check(spec, InjectPatterns.parse("checkout.b"))).isEmpty();
        assertThat(SettingsInjection.check(spec, InjectPatterns.NONE)).isEmpty();
    }

    @Test
    void cohortsPlaceUnitsInTheInjectedHeadersAndTheirOutcomesAreKeptPerUnit() {
        io.crossfade.config.Targeting targeting = io.crossfade.config.Targeting.of(
                List.of(new io.crossfade.config.Cohort("staff", List.of("alice"), List.of("staff-"), null)),
                List.of(io.crossfade.config.Cohort.inline(List.of("acme"))));
        MigrationSpec m = new MigrationSpec("checkout.size", F.numberNode(10), F.numberNode(20), "checkout.size", 0, null,
                null, null, GuardSpec.DEFAULT, List.of(), "checkout.yaml", targeting);
        SettingsSpec spec = new SettingsSpec(Map.of("checkout.size", setting("checkout.size", F.numberNode(10))),
                Map.of("checkout.size", m));
        SettingsSnapshot snapshot = new SettingsSnapshot(1, spec, Map.of("checkout.size",
                new ActiveMigration(m, new MigrationStatus(100_000, MigrationState.RUNNING))));
        SettingsInjection injection = SettingsInjection.prepare(snapshot, InjectPatterns.parse("checkout.*"));
        SettingsInjection.Assignment acme = injection.assign("acme");
        assertThat(acme.variantsHeader()).as("exclude wins over the percent").isEqualTo("checkout.size=old");
        assertThat(acme.settingsHeader()).isEqualTo("{\"checkout.size\":10}");
        SettingsInjection.Assignment staff = injection.assign("staff-7");
        assertThat(staff.variantsHeader()).isEqualTo("checkout.size=new");
        assertThat(injection.assign("bob").variantsHeader()).isEqualTo("checkout.size=new");
        // a cohort-placed unit's outcome carries the unit, so the guard keeps it out of the comparison
        assertThat(injection.outcomes("staff-7", staff, false))
                .containsExactly(new Outcome.PerUnit("checkout.size", "staff-7", false));
        assertThat(injection.outcomes("bob", injection.assign("bob"), true))
                .containsExactly(new Outcome.Aggregated("checkout.size", Variant.NEW, 1, 0));
    }
}

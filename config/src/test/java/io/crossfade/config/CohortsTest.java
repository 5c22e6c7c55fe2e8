package io.crossfade.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CohortsTest {

    @TempDir
    Path dir;

    private final SettingsDirectory directory = new SettingsDirectory();

    private static final String ISSUE_EXAMPLE = """
            settings:
              db.pool.size: {value: 10}
            cohorts:
              staff: { units: [alice, bob], prefixes: ["staff-"] }
              frozen: { file: frozen-tenants.txt }
            migrations:
              db.pool.size: { to: 20, percent: 5, include: [staff], exclude: [frozen, tenant-42] }
            """;

    private void write(String name, String content) throws IOException {
        Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    private List<SettingsProblem> problems() {
        SettingsException e = catchThrowableOfType(SettingsException.class, () -> directory.load(dir));
        assertThat(e).as("expected the directory to be refused").isNotNull();
        return e.problems();
    }

    private ActiveMigration running(SettingsSpec spec, String key, int percent) {
        return new ActiveMigration(spec.migrations().get(key), new MigrationStatus(percent, MigrationState.RUNNING));
    }

    @Test
    void theIssuesExampleLoadsWithItsCohortFile() throws Exception {
        write("settings.yaml", ISSUE_EXAMPLE);
        write("frozen-tenants.txt", "# tenants under contract freeze\nacme\n\n  globex  \r\n");
        SettingsSpec spec = directory.load(dir);
        assertThat(spec.cohorts()).containsOnlyKeys("frozen", "staff");
        assertThat(spec.cohorts().get("frozen").units()).containsExactly("acme", "globex");
        assertThat(spec.cohorts().get("frozen").file()).isEqualTo("frozen-tenants.txt");
        Targeting t = spec.migrations().get("db.pool.size").targeting();
        assertThat(t.include()).extracting(Cohort::name).containsExactly("staff");
        assertThat(t.exclude()).extracting(Cohort::name).containsExactly("frozen", null);
        assertThat(t.exclude().get(1).units()).containsExactly("tenant-42");
    }

    @Test
    void excludeWinsOverIncludeAndBothWinOverThePercent() throws Exception {
        write("settings.yaml", """
                settings:
                  k: {value: 1}
                cohorts:
                  staff: { units: [alice, carol], prefixes: ["staff-"] }
                  frozen: { units: [carol], prefixes: ["staff-frozen"] }
                migrations:
                  k: { to: 2, include: [staff, dave], exclude: [frozen] }
                """);
        SettingsSpec spec = directory.load(dir);
        ActiveMigration none = running(spec, "k", 0);
        ActiveMigration all = running(spec, "k", Percent.FULL);
        assertThat(none.placementFor("alice").kind()).isEqualTo(Placement.Kind.INCLUDED_NEW);
        assertThat(none.placementFor("alice").cohort()).isEqualTo("staff");
        assertThat(none.placementFor("staff-9").kind()).isEqualTo(Placement.Kind.INCLUDED_NEW);
        assertThat(none.placementFor("dave").kind()).isEqualTo(Placement.Kind.INCLUDED_NEW);
        assertThat(none.placementFor("dave").cohort()).isNull();
        // carol is in both: exclude wins, by unit and by prefix
        assertThat(all.placementFor("carol").kind()).isEqualTo(Placement.Kind.EXCLUDED_OLD);
        assertThat(all.placementFor("carol").cohort()).isEqualTo("frozen");
        assertThat(all.placementFor("staff-frozen-1").kind()).isEqualTo(Placement.Kind.EXCLUDED_OLD);
        assertThat(all.placementFor("staff-frozen-1").variant()).isEqualTo(Variant.OLD);
        assertThat(none.placementFor("zed")).isSameAs(Placement.SPLIT_OLD);
        assertThat(all.placementFor("zed")).isSameAs(Placement.SPLIT_NEW);
    }

    @Test
    void cohortsDoNotApplyOnceRolledBackOrCompleted() throws Exception {
        write("settings.yaml", ISSUE_EXAMPLE.replace("frozen: { file: frozen-tenants.txt }", "frozen: { units: [acme] }"));
        MigrationSpec m = directory.load(dir).migrations().get("db.pool.size");
        assertThat(new ActiveMigration(m, new MigrationStatus(5000, MigrationState.ROLLED_BACK)).variantFor("alice"))
                .isEqualTo(Variant.OLD);
        assertThat(new ActiveMigration(m, new MigrationStatus(5000, MigrationState.COMPLETED)).variantFor("acme"))
                .isEqualTo(Variant.NEW);
        assertThat(new ActiveMigration(m, new MigrationStatus(5000, MigrationState.PAUSED)).variantFor("alice"))
                .isEqualTo(Variant.NEW);
    }

    @Test
    void unitsNotInACohortGetExactlyWhatBucketingGives() {
        Targeting t = Targeting.of(List.of(new Cohort("staff", List.of("a"), List.of("s-", "s-x", "t"), null)),
                List.of(Cohort.inline(List.of("b"))));
        MigrationSpec spec = new MigrationSpec("k", num(1), num(2), "k", 0, null, null, null, GuardSpec.DEFAULT,
                List.of(), null, t);
        ActiveMigration m = new ActiveMigration(spec, new MigrationStatus(37_000, MigrationState.RUNNING));
        for (int i = 0; i < 5000; i++) {
            String unit = "user-" + i;
            assertThat(m.variantFor(unit)).isEqualTo(Bucketing.variant("k", unit, 37_000));
        }
        assertThat(m.placementFor("s-").byCohort()).isTrue();
        assertThat(m.placementFor("s-x9").cohort()).isEqualTo("staff");
        assertThat(m.placementFor("t").byCohort()).isTrue();
        assertThat(m.placementFor("s").byCohort()).isFalse();
        assertThat(m.placementFor("r-9").byCohort()).isFalse();
    }

    @Test
    void operatorListsAreKeptApartAndExcludeStillWins() {
        Targeting files = Targeting.of(List.of(Cohort.inline(List.of("alice"))), List.of());
        Targeting both = files.withOperator(Set.of("bob", "carol"), Set.of("alice", "carol"));
        assertThat(both.include()).isEqualTo(files.include());
        assertThat(both.operatorInclude()).containsExactly("bob", "carol");
        assertThat(both.place("alice").kind()).isEqualTo(Placement.Kind.EXCLUDED_OLD);
        assertThat(both.place("alice").byOperator()).isTrue();
        assertThat(both.place("carol").kind()).isEqualTo(Placement.Kind.EXCLUDED_OLD);
        assertThat(both.place("bob").kind()).isEqualTo(Placement.Kind.INCLUDED_NEW);
        assertThat(both.filesOnly()).isEqualTo(files);
    }

    @Test
    void anUnknownCohortIsRefusedWithFileLineAndField() throws Exception {
        write("settings.yaml", """
                settings:
                  k: {value: 1}
                migrations:
                  k:
                    to: 2
                    include:
                      - cohort:staf
                """);
        SettingsProblem p = problems().get(0);
        assertThat(p.file()).isEqualTo("settings.yaml");
        assertThat(p.line()).isEqualTo(7);
        assertThat(p.key()).isEqualTo("k");
        assertThat(p.field()).isEqualTo("include[0]");
        assertThat(p.reason()).contains("unknown cohort 'staf'");
    }

    @Test
    void aUnitBothIncludedAndExcludedByNameIsRefused() throws Exception {
        write("settings.yaml", """
                settings:
                  k: {value: 1}
                cohorts:
                  staff: {units: [a]}
                migrations:
                  k: {to: 2, include: [staff, bob], exclude: [bob, staff]}
                """);
        List<SettingsProblem> ps = problems();
        assertThat(ps).hasSize(2);
        assertThat(ps).extracting(SettingsProblem::field).containsExactly("exclude[0]", "exclude[1]");
        assertThat(ps.get(0).reason()).contains("'bob' is both included (include[1]) and excluded");
        assertThat(ps.get(0).line()).isEqualTo(6);
    }

    @Test
    void aUnitOverTheLimitsIsRefusedInlineAndInACohortFileWithItsLine() throws Exception {
        String tooLong = "x".repeat(WireLimits.MAX_UNIT_BYTES + 1);
        write("settings.yaml", """
                settings:
                  k: {value: 1}
                cohorts:
                  big: {file: big.txt}
                  staff:
                    units:
                      - ok
                      - "%s"
                migrations:
                  k: {to: 2, include: [big]}
                """.formatted(tooLong));
        write("big.txt", "a\nb\n" + tooLong + "\n");
        SettingsProblem inline = problems().get(0);
        assertThat(inline.file()).isEqualTo("settings.yaml");
        assertThat(inline.line()).isEqualTo(8);
        assertThat(inline.field()).isEqualTo("cohorts.staff.units[1]");
        assertThat(inline.reason()).contains("longer than 256 bytes");
        write("settings.yaml", "settings:\n  k: {value: 1}\ncohorts:\n  big: {file: big.txt}\n");
        SettingsProblem inFile = problems().get(0);
        assertThat(inFile.file()).isEqualTo("big.txt");
        assertThat(inFile.line()).isEqualTo(3);
        assertThat(inFile.reason()).contains("longer than 256 bytes");
    }

    @Test
    void aCohortFileOverItsSizeOrUnitLimitIsRefusedWhole() throws Exception {
        write("settings.yaml", """
                settings:
                  k: {value: 1}
                cohorts:
                  many: {file: many.txt}
                """);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i <= Cohort.MAX_FILE_UNITS; i++) {
            sb.append(i).append('\n');
        }
        write("many.txt", sb.toString());
        SettingsProblem p = problems().get(0);
        assertThat(p.file()).isEqualTo("settings.yaml");
        assertThat(p.field()).isEqualTo("cohorts.many.file");
        assertThat(p.reason()).contains("holds 100001 units, over the limit of 100,000");

        write("many.txt", "u".repeat(Cohort.MAX_FILE_BYTES + 1));
        assertThat(problems().get(0).reason()).contains("cohort file many.txt is 1048577 bytes, over the 1 MiB limit");
    }

    @Test
    void aMissingCohortFileOrOneNamedLikeASettingsFileIsRefused() throws Exception {
        write("settings.yaml", """
                settings:
                  k: {value: 1}
                cohorts:
                  gone: {file: gone.txt}
                  odd: {file: odd.yaml}
                  up: {file: ../up.txt}
                """);
        List<SettingsProblem> ps = problems();
        assertThat(ps).extracting(SettingsProblem::describe).anySatisfy(d -> assertThat(d).contains("odd.yaml")
                .contains("would be read as one"));
        assertThat(ps).extracting(SettingsProblem::describe).anySatisfy(d -> assertThat(d).contains("no directories"));
        // the two bad names are refused in the file itself; the missing file once they are fixed
        write("settings.yaml", "settings:\n  k: {value: 1}\ncohorts:\n  gone: {file: gone.txt}\n");
        assertThat(problems().get(0).describe()).contains("cohort file gone.txt does not exist beside the settings files");
    }

    @Test
    void aCohortMayBeDeclaredOnceAndOnlyWithAValidName() throws Exception {
        write("a.yaml", "cohorts:\n  staff: {units: [a]}\n");
        write("b.yaml", "settings:\n  k: {value: 1}\ncohorts:\n  staff: {units: [b]}\n  'bad name': {units: [c]}\n");
        List<SettingsProblem> ps = problems();
        assertThat(ps).extracting(SettingsProblem::reason).anySatisfy(r -> assertThat(r).contains("invalid cohort name"));
        write("b.yaml", "settings:\n  k: {value: 1}\ncohorts:\n  staff: {units: [b]}\n");
        assertThat(problems().get(0).reason()).isEqualTo("duplicate cohort: already declared in a.yaml");
    }

    @Test
    void theCohortFileIsReadWithTheSettingsSoTheLastKnownGoodCopyHoldsIt() throws Exception {
        write("settings.yaml", ISSUE_EXAMPLE);
        write("frozen-tenants.txt", "acme\n");
        var files = directory.read(dir);
        assertThat(files).containsOnlyKeys("settings.yaml", "frozen-tenants.txt");
        Files.delete(dir.resolve("frozen-tenants.txt"));
        // parsing the saved copy needs no disk
        assertThat(directory.parse(files).cohorts().get("frozen").units()).containsExactly("acme");
    }

    @Test
    void theSnapshotDocumentCarriesTheCohortsAndReadsBackToTheSamePlacements() throws Exception {
        write("settings.yaml", ISSUE_EXAMPLE);
        write("frozen-tenants.txt", "acme\n");
        SettingsSpec spec = directory.load(dir);
        ActiveMigration m = new ActiveMigration(spec.migrations().get("db.pool.size"),
                new MigrationStatus(5000, MigrationState.RUNNING));
        m = new ActiveMigration(m.id(), m.spec(), m.status(), m.targeting().withOperator(Set.of("op-in"), Set.of("bob")));
        SettingsSnapshot snapshot = new SettingsSnapshot(7, spec, java.util.Map.of("db.pool.size", m));
        JsonNode doc = SnapshotDocument.write(snapshot, "i-1");
        assertThat(doc.at("/migrations/db.pool.size/include/0/cohort").asText()).isEqualTo("staff");
        assertThat(doc.at("/migrations/db.pool.size/exclude/2/operator").asBoolean()).isTrue();
        SettingsSnapshot back = SnapshotDocument.read(doc).snapshot();
        List<String> units = new ArrayList<>(List.of("alice", "bob", "staff-1", "acme", "tenant-42", "op-in"));
        for (int i = 0; i < 2000; i++) {
            units.add("u" + i);
        }
        for (String u : units) {
            Resolution a = snapshot.resolve("db.pool.size", u);
            Resolution b = back.resolve("db.pool.size", u);
            assertThat(b.variant()).as(u).isEqualTo(a.variant());
            assertThat(b.placement().kind()).as(u).isEqualTo(a.placement().kind());
            assertThat(b.placement().cohort()).as(u).isEqualTo(a.placement().cohort());
        }
        assertThat(snapshot.resolve("db.pool.size", "bob").placement().byOperator()).isTrue();
    }

    @Test
    void aRolledBackMigrationsDocumentCarriesNoCohorts() throws Exception {
        write("settings.yaml", ISSUE_EXAMPLE);
        write("frozen-tenants.txt", "acme\n");
        SettingsSpec spec = directory.load(dir);
        ActiveMigration m = new ActiveMigration(spec.migrations().get("db.pool.size"),
                new MigrationStatus(5000, MigrationState.ROLLED_BACK));
        JsonNode doc = SnapshotDocument.write(new SettingsSnapshot(1, spec, java.util.Map.of("db.pool.size", m)), "i");
        assertThat(doc.at("/migrations/db.pool.size").has("include")).isFalse();
    }

    @Test
    void editingCohortsKeepsTheMigrationsIdentity() throws Exception {
        write("settings.yaml", ISSUE_EXAMPLE.replace("frozen: { file: frozen-tenants.txt }", "frozen: { units: [x] }"));
        String before = directory.load(dir).migrations().get("db.pool.size").id();
        write("settings.yaml", ISSUE_EXAMPLE.replace("frozen: { file: frozen-tenants.txt }", "frozen: { units: [y] }")
                .replace("include: [staff], ", ""));
        assertThat(directory.load(dir).migrations().get("db.pool.size").id()).isEqualTo(before);
    }

    @Test
    void aRampMayStartAtZeroWithAnIncludeCohortInTheShorthand() throws Exception {
        write("settings.yaml", """
                settings:
                  k: {value: 1}
                cohorts:
                  staff: {prefixes: [staff-]}
                migrations:
                  k: {to: 2, include: [staff], steps: ["0:1h", "5:30m", "25:1h", 100]}
                """);
        MigrationSpec m = directory.load(dir).migrations().get("k");
        assertThat(m.steps()).containsExactly(new Step(0, java.time.Duration.ofHours(1)),
                new Step(5_000, java.time.Duration.ofMinutes(30)), new Step(25_000, java.time.Duration.ofHours(1)),
                new Step(Percent.FULL, null));
    }

    @Test
    void aBadStepShorthandIsRefusedWithItsField() throws Exception {
        write("settings.yaml", """
                settings:
                  k: {value: 1}
                migrations:
                  k: {to: 2, steps: ["5", "x:1h", "10:soon", 100]}
                """);
        List<SettingsProblem> ps = problems();
        assertThat(ps).extracting(SettingsProblem::field).containsExactly("steps[0].hold", "steps[1]", "steps[2].hold");
    }

    private static JsonNode num(int n) {
        return com.fasterxml.jackson.databind.node.IntNode.valueOf(n);
    }
}

package io.crossfade.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SourceLocationsTest {

    private final SettingsFileParser parser = new SettingsFileParser();

    private SourceLocations yaml(String content) {
        return SourceLocations.scan(parser.yamlFactory(), content.getBytes(StandardCharsets.UTF_8));
    }

    private static SourceLocations json(String content) {
        return SourceLocations.scan(new JsonFactory(), content.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void designExampleFieldsAreOnTheirLines() {
        SourceLocations loc = yaml(SettingsFileParserTest.DESIGN_EXAMPLE);
        assertThat(loc.lineOf("settings")).isEqualTo(1);
        assertThat(loc.lineOf("settings", "db.pool.size")).isEqualTo(2);
        assertThat(loc.lineOf("settings", "db.pool.size", "value")).isEqualTo(3);
        assertThat(loc.lineOf("settings", "db.pool.size", "owner")).isEqualTo(4);
        assertThat(loc.lineOf("settings", "db.pool.size", "description")).isEqualTo(5);
        assertThat(loc.lineOf("settings", "payments.timeout_ms")).isEqualTo(6);
        assertThat(loc.lineOf("settings", "payments.timeout_ms", "value")).isEqualTo(7);
        assertThat(loc.lineOf("migrations")).isEqualTo(8);
        assertThat(loc.lineOf("migrations", "db.pool.size")).isEqualTo(9);
        assertThat(loc.lineOf("migrations", "db.pool.size", "to")).isEqualTo(10);
        assertThat(loc.lineOf("migrations", "db.pool.size", "percent")).isEqualTo(11);
        assertThat(loc.lineOf("migrations", "db.pool.size", "rollback")).isEqualTo(14);
        assertThat(loc.lineOf("migrations", "db.pool.size", "guard")).isEqualTo(15);
        assertThat(loc.lineOf("migrations", "db.pool.size", "guard", "window")).isEqualTo(15);
        assertThat(loc.lineOf("migrations", "db.pool.size", "steps")).isEqualTo(16);
        assertThat(loc.lineOf("migrations", "db.pool.size", "steps", "[3]")).isEqualTo(16);
        assertThat(loc.lineOf("migrations", "db.pool.size", "steps", "[3]", "percent")).isEqualTo(16);
    }

    @Test
    void blockStyleNestedFieldsAndStepItemsAreOnTheirLines() {
        SourceLocations loc = yaml("""
                migrations:
                  a:
                    to:
                      nested:
                        deep: 1
                    steps:
                      - percent: 1
                        hold: 5m
                      - percent: 10
                        hold: 10m
                      -
                        percent: 100
                    guard:
                      window: 60s
                    list: [1,
                       2,
                       3]
                    after: x
                """);
        assertThat(loc.lineOf("migrations", "a")).isEqualTo(2);
        assertThat(loc.lineOf("migrations", "a", "to")).isEqualTo(3);
        assertThat(loc.lineOf("migrations", "a", "to", "nested")).isEqualTo(4);
        assertThat(loc.lineOf("migrations", "a", "to", "nested", "deep")).isEqualTo(5);
        assertThat(loc.lineOf("migrations", "a", "steps")).isEqualTo(6);
        assertThat(loc.lineOf("migrations", "a", "steps", "[0]")).isEqualTo(7);
        assertThat(loc.lineOf("migrations", "a", "steps", "[0]", "percent")).isEqualTo(7);
        assertThat(loc.lineOf("migrations", "a", "steps", "[0]", "hold")).isEqualTo(8);
        assertThat(loc.lineOf("migrations", "a", "steps", "[1]")).isEqualTo(9);
        assertThat(loc.lineOf("migrations", "a", "steps", "[1]", "hold")).isEqualTo(10);
        assertThat(loc.lineOf("migrations", "a", "steps", "[2]", "percent")).isEqualTo(12);
        // After the list closes, paths continue from the migration again.
        assertThat(loc.lineOf("migrations", "a", "guard")).isEqualTo(13);
        assertThat(loc.lineOf("migrations", "a", "guard", "window")).isEqualTo(14);
        assertThat(loc.lineOf("migrations", "a", "list", "[0]")).isEqualTo(15);
        assertThat(loc.lineOf("migrations", "a", "list", "[1]")).isEqualTo(16);
        assertThat(loc.lineOf("migrations", "a", "list", "[2]")).isEqualTo(17);
        assertThat(loc.lineOf("migrations", "a", "after")).isEqualTo(18);
    }

    @Test
    void nestedListsAreIndexedAtEveryLevel() {
        SourceLocations loc = yaml("""
                m:
                  - [a, b]
                  -
                    - c
                    - d
                  - {k: v}
                """);
        assertThat(loc.lineOf("m", "[0]")).isEqualTo(2);
        assertThat(loc.lineOf("m", "[0]", "[1]")).isEqualTo(2);
        assertThat(loc.lineOf("m", "[1]", "[0]")).isEqualTo(4);
        assertThat(loc.lineOf("m", "[1]", "[1]")).isEqualTo(5);
        assertThat(loc.lineOf("m", "[2]", "k")).isEqualTo(6);
    }

    @Test
    void unknownPathsFallBackToTheirDeepestKnownAncestor() {
        SourceLocations loc = yaml(SettingsFileParserTest.DESIGN_EXAMPLE);
        assertThat(loc.lineOf("migrations", "db.pool.size", "nope", "deeper")).isEqualTo(9);
        assertThat(loc.lineOf("migrations", "db.pool.size", "steps", "[9]")).isEqualTo(16);
        assertThat(loc.lineOf("nothing")).isZero();
        assertThat(loc.lineOf()).isZero();
        assertThat(SourceLocations.none().lineOf("settings")).isZero();
    }

    @Test
    void jsonFieldsAndArrayItemsAreOnTheirLines() {
        SourceLocations loc = json("""
                {
                  "settings": {
                    "a": {
                      "value": {"x": 1}
                    }
                  },
                  "migrations": {
                    "a": {
                      "to": 2,
                      "steps": [
                        {"percent": 1, "hold": "5m"},
                        {
                          "percent": 100
                        }
                      ]
                    }
                  }
                }
                """);
        assertThat(loc.lineOf("settings", "a")).isEqualTo(3);
        assertThat(loc.lineOf("settings", "a", "value", "x")).isEqualTo(4);
        assertThat(loc.lineOf("migrations")).isEqualTo(7);
        assertThat(loc.lineOf("migrations", "a", "to")).isEqualTo(9);
        assertThat(loc.lineOf("migrations", "a", "steps", "[0]")).isEqualTo(11);
        assertThat(loc.lineOf("migrations", "a", "steps", "[1]")).isEqualTo(12);
        assertThat(loc.lineOf("migrations", "a", "steps", "[1]", "percent")).isEqualTo(13);
    }

    @Test
    void brokenContentKeepsWhatWasScannedBeforeTheError() {
        SourceLocations loc = yaml("settings:\n  a:\n    value: 1\n  b: [\n");
        assertThat(loc.lineOf("settings", "a", "value")).isEqualTo(3);
        assertThat(loc.lineOf("settings", "b")).isEqualTo(4);
    }

    @Test
    void stepProblemsPointAtTheOffendingFieldsLine() {
        SettingsFileParserTest t = new SettingsFileParserTest();
        java.util.List<SettingsProblem> ps = t.problems("a.yaml", SettingsFileParserTest.migrationWith(
                "steps:",
                "  - hold: 5m",
                "    percent: 200",
                "  - percent: 10",
                "    hold: forever",
                "  - percent: 5",
                "    hold: 1m",
                "  - percent: 100"));
        assertThat(ps).extracting(SettingsProblem::line, SettingsProblem::field).containsExactly(
                org.assertj.core.groups.Tuple.tuple(9, "steps[0].percent"),
                org.assertj.core.groups.Tuple.tuple(11, "steps[1].hold"),
                org.assertj.core.groups.Tuple.tuple(12, "steps[2].percent"));
    }

    /** The lines recorded while a tree is read through {@link SourceLocations.Recording} are the scan's. */
    @Test
    void recordingWhileATreeIsReadFindsTheSameLinesAsAScan() throws Exception {
        byte[] content = SettingsFileParserTest.DESIGN_EXAMPLE.getBytes(StandardCharsets.UTF_8);
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper(parser.yamlFactory());
        SourceLocations.Recording recording = new SourceLocations.Recording(parser.yamlFactory().createParser(content));
        assertThat(((com.fasterxml.jackson.databind.JsonNode) mapper.readTree(recording)).path("settings").path("db.pool.size").path("value").asInt()).isPositive();
        SourceLocations recorded = recording.locations();
        SourceLocations scanned = yaml(SettingsFileParserTest.DESIGN_EXAMPLE);
        for (String[] path : new String[][] {{"settings"}, {"settings", "db.pool.size", "owner"},
                {"settings", "payments.timeout_ms", "value"}, {"migrations", "db.pool.size", "guard", "window"},
                {"migrations", "db.pool.size", "steps", "[3]", "percent"}, {"migrations", "db.pool.size", "rollback"}}) {
            assertThat(recorded.lineOf(path)).as(String.join(".", path)).isEqualTo(scanned.lineOf(path)).isPositive();
        }
    }
}

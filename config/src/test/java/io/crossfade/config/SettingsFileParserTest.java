package io.crossfade.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SettingsFileParserTest {

    /** The example of the design's "Settings files" section, verbatim. */
    static final String DESIGN_EXAMPLE = """
            settings:
              db.pool.size:
                value: 10
                owner: team-data
                description: connections per instance
              payments.timeout_ms:
                value: 800
            migrations:
              db.pool.size:
                to: 20
                percent: 5            # initial percent when this migration is first seen
                owner: alice
                expected: p99 latency unchanged, no pool exhaustion errors
                rollback: set percent to 0; 10 is the old value
                guard: { maxErrorRate: 0.05, maxRatio: 2.0, minSamples: 200, window: 60s, action: halt }
                steps: [ { percent: 1, hold: 5m }, { percent: 10, hold: 10m }, { percent: 50, hold: 10m }, { percent: 100 } ]
            """;

    /** The same declarations as JSON. */
    static final String DESIGN_EXAMPLE_JSON = """
            {
              "settings": {
                "db.pool.size": {"value": 10, "owner": "team-data", "description": "connections per instance"},
                "payments.timeout_ms": {"value": 800}
              },
              "migrations": {
                "db.pool.size": {
                  "to": 20,
                  "percent": 5,
                  "owner": "alice",
                  "expected": "p99 latency unchanged, no pool exhaustion errors",
                  "rollback": "set percent to 0; 10 is the old value",
                  "guard": {"maxErrorRate": 0.05, "maxRatio": 2.0, "minSamples": 200, "window": "60s", "action": "halt"},
                  "steps": [{"percent": 1, "hold": "5m"}, {"percent": 10, "hold": "10m"},
                            {"percent": 50, "hold": "10m"}, {"percent": 100}]
                }
              }
            }
            """;

    /** A small valid file the error cases below extend: lines 1-6, with the migration's fields from line 7 on. */
    static final String BASE = """
            settings:
              db.pool.size:
                value: 10
            migrations:
              db.pool.size:
                to: 20
            """;

    private final SettingsFileParser parser = new SettingsFileParser();

    SettingsFileParser.ParsedFile parse(String file, String content) throws SettingsException {
        return parser.parse(file, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Parses and merges one file as a directory of just that file would. */
    SettingsSpec spec(String file, String content) throws SettingsException {
        return SettingsDirectory.merge(List.of(parse(file, content)));
    }

    List<SettingsProblem> problems(String file, String content) {
        SettingsException e = catchThrowableOfType(SettingsException.class, () -> spec(file, content));
        assertThat(e).as("expected %s to be rejected", file).isNotNull();
        assertThat(e.problems()).isNotEmpty();
        assertThat(e.getMessage()).isEqualTo(String.join("; ", e.problems().stream().map(SettingsProblem::describe).toList()));
        return e.problems();
    }

    SettingsProblem onlyProblem(String file, String content) {
        List<SettingsProblem> problems = problems(file, content);
        assertThat(problems).as("problems of %s", file).hasSize(1);
        return problems.get(0);
    }

    static void assertProblem(SettingsProblem p, String file, int line, String key, String field, String reason) {
        assertThat(p.file()).as("file of %s", p).isEqualTo(file);
        assertThat(p.line()).as("line of %s", p).isEqualTo(line);
        assertThat(p.key()).as("key of %s", p).isEqualTo(key);
        assertThat(p.field()).as("field of %s", p).isEqualTo(field);
        assertThat(p.reason()).as("reason of %s", p).contains(reason);
    }

    /** BASE with {@code lines} added to the migration from line 7 on. */
    static String migrationWith(String... lines) {
        StringBuilder sb = new StringBuilder(BASE);
        for (String line : lines) {
            sb.append("    ").append(line).append('\n');
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- valid files

    @Test
    void designExampleYamlParsesEveryField() throws Exception {
        SettingsFileParser.ParsedFile parsed = parse("settings.yaml", DESIGN_EXAMPLE);
        assertThat(parsed.file()).isEqualTo("settings.yaml");
        assertThat(parsed.settings()).containsOnlyKeys("db.pool.size", "payments.timeout_ms");
        assertThat(parsed.settingLines()).containsEntry("db.pool.size", 2).containsEntry("payments.timeout_ms", 6);
        SettingsFileParser.DeclaredMigration declared = parsed.migrations().get("db.pool.size");
        assertThat(declared.from()).as("from is filled in from the setting only when files are merged").isNull();
        assertThat(declared.line()).isEqualTo(9);
        assertThat(declared.file()).isEqualTo("settings.yaml");

        assertDesignExample(SettingsDirectory.merge(List.of(parsed)), "settings.yaml");
    }

    @Test
    void designExampleAsJsonParsesToTheSameSpec() throws Exception {
        SettingsSpec json = spec("settings.json", DESIGN_EXAMPLE_JSON);
        assertDesignExample(json, "settings.json");
        SettingsSpec yaml = spec("settings.yaml", DESIGN_EXAMPLE);
        assertThat(json.migrations().get("db.pool.size").id()).isEqualTo(yaml.migrations().get("db.pool.size").id());
    }

    static void assertDesignExample(SettingsSpec spec, String file) {
        assertThat(spec.settings()).containsOnlyKeys("db.pool.size", "payments.timeout_ms");
        Setting pool = spec.settings().get("db.pool.size");
        assertThat(pool).isEqualTo(new Setting("db.pool.size", IntNode.valueOf(10), "team-data",
                "connections per instance", file));
        Setting timeout = spec.settings().get("payments.timeout_ms");
        assertThat(timeout).isEqualTo(new Setting("payments.timeout_ms", IntNode.valueOf(800), null, null, file));

        assertThat(spec.migrations()).containsOnlyKeys("db.pool.size");
        MigrationSpec m = spec.migrations().get("db.pool.size");
        assertThat(m.key()).isEqualTo("db.pool.size");
        assertThat(m.from()).isEqualTo(IntNode.valueOf(10));
        assertThat(m.to()).isEqualTo(IntNode.valueOf(20));
        assertThat(m.salt()).isEqualTo("db.pool.size");
        assertThat(m.initialPercent()).isEqualTo(5_000);
        assertThat(m.owner()).isEqualTo("alice");
        assertThat(m.expected()).isEqualTo("p99 latency unchanged, no pool exhaustion errors");
        assertThat(m.rollback()).isEqualTo("set percent to 0; 10 is the old value");
        assertThat(m.guard()).isEqualTo(new GuardSpec(0.05, 2.0, 200, Duration.ofSeconds(60), 0.99, GuardAction.HALT));
        assertThat(m.steps()).containsExactly(
                new Step(1_000, Duration.ofMinutes(5)),
                new Step(10_000, Duration.ofMinutes(10)),
                new Step(50_000, Duration.ofMinutes(10)),
                new Step(100_000, null));
        assertThat(m.hasSteps()).isTrue();
        assertThat(m.source()).isEqualTo(file);
    }

    @Test
    void valuesOfEveryJsonTypeAreKeptExactly() throws Exception {
        SettingsSpec spec = spec("values.yaml", """
                settings:
                  a.number: {value: 0.1}
                  b.text: {value: "hello"}
                  c.flag: {value: true}
                  d.object: {value: {hosts: [a, b], port: 5432}}
                  e.list: {value: [1, 2.50, "x"]}
                  f.big: {value: 12345678901234567890}
                  g.empty-text: {value: ""}
                """);
        assertThat(spec.settings().get("a.number").value().decimalValue()).isEqualTo(new BigDecimal("0.1"));
        assertThat(spec.settings().get("a.number").value().toString()).isEqualTo("0.1");
        assertThat(spec.settings().get("b.text").value()).isEqualTo(TextNode.valueOf("hello"));
        assertThat(spec.settings().get("c.flag").value()).isEqualTo(BooleanNode.TRUE);
        assertThat(spec.settings().get("d.object").value().toString()).isEqualTo("{\"hosts\":[\"a\",\"b\"],\"port\":5432}");
        assertThat(spec.settings().get("e.list").value().toString()).isEqualTo("[1,2.50,\"x\"]");
        assertThat(spec.settings().get("f.big").value().bigIntegerValue()).hasToString("12345678901234567890");
        assertThat(spec.settings().get("g.empty-text").value()).isEqualTo(TextNode.valueOf(""));
    }

    @Test
    void decimalValuesAreServedBackAsWrittenWithTheirTrailingZeros() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper plain = new com.fasterxml.jackson.databind.ObjectMapper();
        SettingsSpec yaml = spec("a.yaml", "settings:\n  a: {value: 100.0}\n  b: {value: 1.0}\n  c: {value: [2.50, 0.000]}\n");
        // A Python service must keep reading a float: 1.0, not 1, and 100.0, not 1E+2.
        assertThat(plain.writeValueAsString(yaml.settings().get("a").value())).isEqualTo("100.0");
        assertThat(plain.writeValueAsString(yaml.settings().get("b").value())).isEqualTo("1.0");
        assertThat(plain.writeValueAsString(yaml.settings().get("c").value())).isEqualTo("[2.50,0.000]");
        SettingsSpec json = spec("a.json", "{\"settings\": {\"a\": {\"value\": 100.0}, \"b\": {\"value\": 1.0}}}");
        assertThat(plain.writeValueAsString(json.settings().get("a").value())).isEqualTo("100.0");
        assertThat(plain.writeValueAsString(json.settings().get("b").value())).isEqualTo("1.0");
    }

    @Test
    void decimalPercentsWithTrailingZerosAreStillRead() throws Exception {
        assertThat(spec("a.yaml", migrationWith("percent: 10.000")).migrations().get("db.pool.size").initialPercent())
                .isEqualTo(10_000);
        assertThat(spec("a.yaml", migrationWith("percent: 12.3450")).migrations().get("db.pool.size").initialPercent())
                .isEqualTo(12_345);
    }

    @Test
    void migrationWithoutOptionalFieldsGetsDefaults() throws Exception {
        MigrationSpec m = spec("a.yaml", BASE).migrations().get("db.pool.size");
        assertThat(m.initialPercent()).isZero();
        assertThat(m.salt()).isEqualTo("db.pool.size");
        assertThat(m.owner()).isNull();
        assertThat(m.expected()).isNull();
        assertThat(m.rollback()).isNull();
        assertThat(m.guard()).isEqualTo(GuardSpec.DEFAULT);
        assertThat(m.steps()).isEmpty();
        assertThat(m.hasSteps()).isFalse();
    }

    @Test
    void explicitFromSaltGuardAndIsoDurationsAreRead() throws Exception {
        MigrationSpec m = spec("a.yaml", migrationWith(
                "from: 12",
                "salt: pool-2024",
                "percent: 12.345",
                "guard: {maxErrorRate: 1, maxRatio: 1, minSamples: 1, window: PT30S, confidence: 0.95, action: rollback}",
                "steps:",
                "  - percent: 0",
                "    hold: 1h",
                "  - percent: 100",
                "    hold: 500ms")).migrations().get("db.pool.size");
        assertThat(m.from()).isEqualTo(IntNode.valueOf(12));
        assertThat(m.salt()).isEqualTo("pool-2024");
        assertThat(m.initialPercent()).isEqualTo(12_345);
        assertThat(m.guard()).isEqualTo(new GuardSpec(1.0, 1.0, 1, Duration.ofSeconds(30), 0.95, GuardAction.ROLLBACK));
        assertThat(m.steps()).containsExactly(new Step(0, Duration.ofHours(1)), new Step(100_000, Duration.ofMillis(500)));
    }

    @Test
    void partialGuardKeepsDefaultsForTheRest() throws Exception {
        MigrationSpec m = spec("a.yaml", migrationWith("guard: {maxRatio: 3}")).migrations().get("db.pool.size");
        GuardSpec d = GuardSpec.DEFAULT;
        assertThat(m.guard()).isEqualTo(new GuardSpec(d.maxErrorRate(), 3.0, d.minSamples(), d.window(), d.confidence(), d.action()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "\n", "   \n\n", "# only a comment\n", "---\n", "~\n", "---\n...\n", "settings:\n",
            "settings:\nmigrations:\n", "settings: {}\n", "null\n"})
    void aYamlFileThatDeclaresNothingIsRefusedByName(String content) {
        assertProblem(onlyProblem("empty.yaml", content), "empty.yaml", 0, null, null, "declares no settings");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  \n", "{}", "{\"settings\": {}, \"migrations\": {}}", "{\"settings\": null}", "null"})
    void aJsonFileThatDeclaresNothingIsRefusedByName(String content) {
        assertProblem(onlyProblem("empty.json", content), "empty.json", 0, null, null, "declares no settings");
    }

    @Test
    void aYamlAliasIsRefusedWhereItIsNeverServedAsItsName() {
        List<SettingsProblem> p = problems("a.yaml", """
                settings:
                  a: {value: &v 1}
                  b:
                    value: *v
                """);
        assertThat(p).hasSize(2);
        assertProblem(p.get(0), "a.yaml", 2, null, null, "anchor '&v' is not supported");
        assertProblem(p.get(1), "a.yaml", 4, null, null, "alias '*v' is not supported");
    }

    /** '&' and '*' inside values are text, not anchors or aliases: such files parse and keep them. */
    @Test
    void ampersandsAndAsterisksInValuesAreText() throws Exception {
        SettingsFileParser.ParsedFile f = parse("a.yaml", "settings:\n  a:\n    value: \"x & y\"\n  b: {value: a*b, owner: r&d}\n");
        assertThat(f.settings().get("a").value().asText()).isEqualTo("x & y");
        assertThat(f.settings().get("b").value().asText()).isEqualTo("a*b");
        assertThat(f.settings().get("b").owner()).isEqualTo("r&d");
        assertThat(f.settingLines()).containsEntry("a", 2).containsEntry("b", 4);
    }

    @Test
    void anAliasOfAnUndefinedAnchorIsRefusedToo() {
        // Jackson would hand this over as the string "v".
        assertProblem(onlyProblem("a.yaml", "settings:\n  a:\n    value: *v\n"), "a.yaml", 3, null, null,
                "alias '*v' is not supported");
    }

    @Test
    void billionLaughsIsRefusedWithoutExpandingAnything() {
        StringBuilder lol = new StringBuilder("settings:\n  a:\n    value:\n      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < 10; i++) {
            lol.append("      l").append(i).append(": &l").append(i).append(" [");
            for (int j = 0; j < 9; j++) {
                lol.append(j == 0 ? "" : ", ").append("*l").append(i - 1);
            }
            lol.append("]\n");
        }
        List<SettingsProblem> p = problems("lol.yaml", lol.toString());
        assertThat(p).isNotEmpty().allSatisfy(problem -> assertThat(problem.reason()).containsAnyOf("anchor", "alias"));
    }

    @Test
    void aMergeKeyIsAnAliasAndRefused() {
        List<SettingsProblem> p = problems("a.yaml", """
                settings:
                  a: &base {value: 1, owner: x}
                  b:
                    <<: *base
                """);
        assertThat(p).extracting(SettingsProblem::reason).anySatisfy(r -> assertThat(r).contains("alias '*base'"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e400", "-1e400", "1e-400", "[1, 2, 1e999]", "{n: 1e400}", "[{n: [-1e400]}]"})
    void aNumberClientsCannotHoldIsRefusedWhereItIs(String value) {
        assertProblem(onlyProblem("a.yaml", "settings:\n  a:\n    value: " + value + "\n"), "a.yaml", 3, "a", "value",
                "not a finite number");
    }

    @ParameterizedTest
    @ValueSource(strings = {".inf", "-.inf", ".nan"})
    void yamlInfinityAndNanAreRefused(String value) {
        assertProblem(onlyProblem("a.yaml", "settings:\n  a:\n    value: " + value + "\n"), "a.yaml", 3, null, null,
                "not valid YAML");
    }

    @Test
    void anIntegerBeyondADoublesRangeIsRefused() {
        assertProblem(onlyProblem("a.json", "{\"settings\": {\"a\": {\"value\": 1" + "0".repeat(400) + "}}}"), "a.json", 1,
                "a", "value", "not a finite number");
    }

    @Test
    void numbersAtTheEdgesOfTheRangesAreServed() throws Exception {
        SettingsSpec spec = spec("a.yaml", "settings:\n  a: {value: 1.7976931348623157e308}\n  b: {value: 9223372036854775807}\n"
                + "  c: {value: -9223372036854775808}\n  d: {value: 4.9e-324}\n");
        assertThat(spec.settings()).containsOnlyKeys("a", "b", "c", "d");
    }

    @Test
    void aMigrationToANumberClientsCannotHoldIsRefused() {
        assertProblem(onlyProblem("a.yaml", "settings:\n  a: {value: 1}\nmigrations:\n  a:\n    to: 1e400\n"), "a.yaml", 5,
                "a", "to", "not a finite number");
    }

    @Test
    void settingsWithoutMigrationsAreFine() throws Exception {
        SettingsSpec spec = spec("a.yml", "settings:\n  a: {value: 1}\nmigrations:\n");
        assertThat(spec.settings()).containsOnlyKeys("a");
        assertThat(spec.migrations()).isEmpty();
    }

    @Test
    void extensionPicksTheFormatCaseInsensitively() throws Exception {
        assertThat(spec("A.JSON", "{\"settings\": {\"a\": {\"value\": 1}}}").settings()).containsOnlyKeys("a");
        assertThat(spec("A.YML", "settings: {a: {value: 1}}").settings()).containsOnlyKeys("a");
        // YAML-only syntax in a .json file is a JSON syntax error.
        assertProblem(onlyProblem("a.json", "settings: {a: {value: 1}}"), "a.json", 1, null, null, "not valid JSON");
    }

    @Test
    void settingsFileNamesAreYamlYmlAndJsonWithoutALeadingDot() {
        assertThat(SettingsFileParser.isSettingsFile("a.yaml")).isTrue();
        assertThat(SettingsFileParser.isSettingsFile("a.yml")).isTrue();
        assertThat(SettingsFileParser.isSettingsFile("a.json")).isTrue();
        assertThat(SettingsFileParser.isSettingsFile("A.YAML")).isTrue();
        assertThat(SettingsFileParser.isSettingsFile("README.md")).isFalse();
        assertThat(SettingsFileParser.isSettingsFile("a.yaml.bak")).isFalse();
        assertThat(SettingsFileParser.isSettingsFile("a.yaml~")).isFalse();
        assertThat(SettingsFileParser.isSettingsFile(".hidden.yaml")).isFalse();
        assertThat(SettingsFileParser.isSettingsFile("..data")).isFalse();
        assertThat(SettingsFileParser.isSettingsFile("yaml")).isFalse();
    }

    // ---------------------------------------------------------------- syntax

    @Test
    void jsonSyntaxErrorIsReportedWithItsLine() {
        SettingsProblem p = onlyProblem("a.json", """
                {
                  "settings": {
                    "a": {"value": 1,}
                  }
                }
                """);
        assertProblem(p, "a.json", 3, null, null, "not valid JSON");
    }

    @Test
    void yamlSyntaxErrorIsReportedWithItsLine() {
        // the bracket left open on line 3 is the fault, not line 4 where the parser gave up
        SettingsProblem p = onlyProblem("a.yaml", """
                settings:
                  a:
                    value: [1, 2
                  b:
                    value: 3
                """);
        assertProblem(p, "a.yaml", 3, null, null, "not valid YAML");
    }

    @Test
    void anUnclosedBracketAtTheEndOfTheFileIsReportedOnItsOwnLineInOneSentence() {
        SettingsProblem p = onlyProblem("a.yaml", "settings:\n  a.b:\n    value: 1\n  c.d:\n    value: 2\n"
                + "  e.f:\n    value: 3\n  g.h:\n    value: [1, 2\n");
        assertThat(p.line()).isEqualTo(9);
        assertThat(p.reason()).isEqualTo("not valid YAML: expected ',' or ']', but got <stream end> (while parsing a flow"
                + " sequence that starts at line 9, column 12) near \"value: [1, 2\"");
        assertThat(p.reason()).doesNotContain("\n").doesNotContain("^").doesNotContain("'reader'");
    }

    @Test
    void anUnclosedQuoteIsReportedWhereItOpens() {
        SettingsProblem p = onlyProblem("a.yaml", "settings:\n  a:\n    value: \"open\n  b:\n    value: 2\n");
        assertThat(p.line()).isEqualTo(3);
        assertThat(p.reason()).startsWith("not valid YAML: ").contains("quoted scalar").endsWith("near \"value: \"open\"");
    }

    @Test
    void aBadlyIndentedKeyIsReportedOnItsOwnLine() {
        SettingsProblem p = onlyProblem("a.yaml", "settings:\n  a:\n    value: 1\n   bad: x\n");
        assertThat(p.line()).isEqualTo(4);
        assertThat(p.reason()).endsWith("near \"bad: x\"");
    }

    @Test
    void yamlSyntaxErrorPointsAtTheLineSnakeYamlBlames() {
        // A tab cannot indent YAML; the error is on line 5, whatever token Jackson read last.
        SettingsProblem p = onlyProblem("a.yaml", "settings:\n  a:\n    value: 1\n\n\tb: 2\n");
        assertProblem(p, "a.yaml", 5, null, null, "not valid YAML");
        assertThat(p.reason()).contains("TAB");
        SettingsProblem q = onlyProblem("a.yaml", "settings:\n  a:\n    value: 1\n    owner: x: y\n");
        assertProblem(q, "a.yaml", 4, null, null, "mapping values are not allowed here");
    }

    @Test
    void contentAfterTheJsonValueIsRefusedNotIgnored() {
        assertProblem(onlyProblem("a.json", "{\"settings\": {\"a\": {\"value\": 1}}}\n}\n"), "a.json", 2, null, null,
                "not valid JSON");
        SettingsProblem p = onlyProblem("a.json",
                "{\"settings\": {\"a\": {\"value\": 1}}}\n{\"settings\": {\"b\": {\"value\": 2}}}\n");
        assertProblem(p, "a.json", 2, null, null, "after the end of the first");
    }

    @Test
    void secondYamlDocumentIsRefusedNotIgnored() {
        SettingsProblem p = onlyProblem("a.yaml", """
                settings:
                  a: {value: 1}
                ---
                settings:
                  b: {value: 2}
                """);
        assertProblem(p, "a.yaml", 4, null, null, "after the end of the first");
    }

    @Test
    void emptyYamlDocumentsAfterTheFirstAreFine() throws Exception {
        assertThat(spec("a.yaml", "---\nsettings:\n  a: {value: 1}\n---\n# nothing\n---\n").settings()).containsOnlyKeys("a");
        assertThat(spec("a.yaml", "settings:\n  a: {value: 1}\n...\n").settings()).containsOnlyKeys("a");
    }

    @Test
    void badlyIndentedYamlIsASyntaxErrorNotATruncatedFile() {
        // SnakeYAML ends the first document at the dedent; what follows must not be dropped silently.
        SettingsProblem p = onlyProblem("a.yaml", "  settings:\n    a: {value: 1}\n b: {value: 2}\n");
        assertProblem(p, "a.yaml", 3, null, null, "not valid YAML");
    }

    @Test
    void duplicateKeyInOneYamlFileIsASyntaxErrorAtTheSecondOne() {
        SettingsProblem p = onlyProblem("a.yaml", """
                settings:
                  a:
                    value: 1
                  a:
                    value: 2
                """);
        assertProblem(p, "a.yaml", 4, null, null, "Duplicate field 'a'");
        assertThat(p.reason()).startsWith("not valid YAML");
    }

    @Test
    void duplicateFieldInsideASettingIsASyntaxError() {
        SettingsProblem p = onlyProblem("a.yaml", "settings:\n  a:\n    value: 1\n    value: 2\n");
        assertProblem(p, "a.yaml", 4, null, null, "Duplicate field 'value'");
    }

    @Test
    void duplicateKeyInOneJsonFileIsASyntaxErrorAtTheSecondOne() {
        SettingsProblem p = onlyProblem("a.json", """
                {"settings": {
                  "a": {"value": 1},
                  "a": {"value": 2}
                }}
                """);
        assertProblem(p, "a.json", 3, null, null, "Duplicate field 'a'");
        assertThat(p.reason()).startsWith("not valid JSON");
    }

    @Test
    void topLevelThatIsNotAMappingIsRefused() {
        assertProblem(onlyProblem("a.yaml", "- a\n- b\n"), "a.yaml", 0, null, null, "top level must be a mapping");
        assertProblem(onlyProblem("a.json", "[1]"), "a.json", 0, null, null, "found a list");
        assertProblem(onlyProblem("a.yaml", "just text\n"), "a.yaml", 0, null, null, "found text 'just text'");
    }

    @Test
    void sectionsThatAreNotMappingsAreRefused() {
        List<SettingsProblem> ps = problems("a.yaml", "settings: [a, b]\nmigrations: 5\n");
        assertThat(ps).hasSize(2);
        assertProblem(ps.get(0), "a.yaml", 1, null, "settings", "must be a mapping of key to setting");
        assertProblem(ps.get(1), "a.yaml", 2, null, "migrations", "must be a mapping of setting key to migration");
    }

    // ---------------------------------------------------------------- unknown fields

    @Test
    void unknownTopLevelFieldIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", BASE + "setting:\n  b: {value: 1}\n");
        assertProblem(p, "a.yaml", 7, null, "setting", "unknown field 'setting'");
        assertThat(p.reason()).contains("[cohorts, migrations, settings]");
    }

    @Test
    void unknownSettingFieldIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", """
                settings:
                  db.pool.size:
                    value: 10
                    descripton: typo
                """);
        assertProblem(p, "a.yaml", 4, "db.pool.size", "descripton", "unknown field 'descripton'");
        assertThat(p.reason()).contains("description", "owner", "value");
    }

    @Test
    void unknownMigrationFieldIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("percnt: 5"));
        assertProblem(p, "a.yaml", 7, "db.pool.size", "percnt", "unknown field 'percnt'");
    }

    @Test
    void unknownGuardFieldIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("guard:", "  maxRatio: 2", "  maxErrorRat: 0.1"));
        assertProblem(p, "a.yaml", 9, "db.pool.size", "guard.maxErrorRat", "unknown field 'maxErrorRat'");
    }

    @Test
    void unknownStepFieldIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("steps:", "  - percent: 1", "    hold: 5m", "  - percent: 100",
                "    wait: 5m"));
        assertProblem(p, "a.yaml", 11, "db.pool.size", "steps[1].wait", "unknown field 'wait'");
    }

    // ---------------------------------------------------------------- keys

    @ParameterizedTest
    @ValueSource(strings = {"DB.Pool", "db pool", "-db", ".db", "_db", "db/pool", "db:pool", "dé"})
    void invalidSettingKeyIsRefused(String key) {
        SettingsProblem p = onlyProblem("a.yaml", "settings:\n  \"" + key + "\":\n    value: 1\n");
        assertProblem(p, "a.yaml", 2, key, null, "invalid key");
        assertThat(p.reason()).contains(SettingKey.rule());
    }

    @Test
    void invalidMigrationKeyIsRefused() {
        List<SettingsProblem> ps = problems("a.yaml", "migrations:\n  Db.Pool:\n    to: 1\n");
        assertProblem(ps.get(0), "a.yaml", 2, "Db.Pool", null, "invalid key");
    }

    @Test
    void keyRuleAllowsTwoHundredCharactersAndNoMore() {
        assertThat(SettingKey.isValid("a".repeat(200))).isTrue();
        assertThat(SettingKey.isValid("a".repeat(201))).isFalse();
        assertThat(SettingKey.isValid("0")).isTrue();
        assertThat(SettingKey.isValid("db.pool.size")).isTrue();
        assertThat(SettingKey.isValid("payments.timeout_ms")).isTrue();
        assertThat(SettingKey.isValid("a-b_c.d9")).isTrue();
        assertThat(SettingKey.isValid("")).isFalse();
        assertThat(SettingKey.isValid(null)).isFalse();
        assertThat(SettingKey.isValid("a\n")).isFalse();
    }

    // ---------------------------------------------------------------- settings

    @Test
    void settingWithoutValueIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", "settings:\n  a:\n    owner: me\n");
        assertProblem(p, "a.yaml", 2, "a", "value", "is required");
    }

    @ParameterizedTest
    @ValueSource(strings = {"null", "~", ""})
    void settingWithNullValueIsRefused(String nullText) {
        SettingsProblem p = onlyProblem("a.yaml", "settings:\n  a:\n    owner: me\n    value: " + nullText + "\n");
        assertProblem(p, "a.yaml", 4, "a", "value", "not null");
    }

    @Test
    void settingWithNullValueInJsonIsRefused() {
        SettingsProblem p = onlyProblem("a.json", "{\"settings\": {\n \"a\": {\n  \"value\": null}}}");
        assertProblem(p, "a.json", 3, "a", "value", "not null");
    }

    @Test
    void settingThatIsNotAMappingIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", "settings:\n  a: 5\n");
        assertProblem(p, "a.yaml", 2, "a", null, "must be a mapping with at least 'value', found number 5");
    }

    @Test
    void ownerAndDescriptionMustBeText() {
        List<SettingsProblem> ps = problems("a.yaml", "settings:\n  a:\n    value: 1\n    owner: [x]\n    description: 5\n");
        assertThat(ps).hasSize(2);
        assertProblem(ps.get(0), "a.yaml", 4, "a", "owner", "must be text, found a list");
        assertProblem(ps.get(1), "a.yaml", 5, "a", "description", "must be text, found number 5");
    }

    // ---------------------------------------------------------------- migrations

    @Test
    void migrationWithoutToIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", "settings:\n  a: {value: 1}\nmigrations:\n  a:\n    percent: 5\n");
        assertProblem(p, "a.yaml", 4, "a", "to", "is required");
    }

    @Test
    void migrationWithNullToIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", "settings:\n  a: {value: 1}\nmigrations:\n  a:\n    to: null\n");
        assertProblem(p, "a.yaml", 5, "a", "to", "must not be null");
    }

    @Test
    void migrationWithNullFromIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("from: ~"));
        assertProblem(p, "a.yaml", 7, "db.pool.size", "from", "must not be null");
    }

    @Test
    void migrationThatIsNotAMappingIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", "settings:\n  a: {value: 1}\nmigrations:\n  a: 2\n");
        assertProblem(p, "a.yaml", 4, "a", null, "must be a mapping with at least 'to'");
    }

    @Test
    void migrationToTheOldValueIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", """
                settings:
                  a: {value: {x: 1, y: [1, 2]}}
                migrations:
                  a:
                    to: {y: [1, 2], x: 1}
                """);
        assertProblem(p, "a.yaml", 4, "a", "to", "is the same as the old value");
    }

    @Test
    void migrationToAnExplicitFromValueIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("from: 20"));
        assertProblem(p, "a.yaml", 5, "db.pool.size", "to", "is the same as the old value 20");
    }

    @Test
    void migrationOfAnUnknownSettingIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", BASE + "  other.key:\n    to: 1\n");
        assertProblem(p, "a.yaml", 7, "other.key", null, "migration of unknown setting");
    }

    @Test
    void emptySaltIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("salt: ''"));
        assertProblem(p, "a.yaml", 7, "db.pool.size", "salt", "must not be empty");
    }

    @ParameterizedTest
    @ValueSource(strings = {"101", "-1", "100.001", "1000"})
    void percentOutOfRangeIsRefused(String percent) {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("owner: me", "percent: " + percent));
        assertProblem(p, "a.yaml", 8, "db.pool.size", "percent", "between 0 and 100");
    }

    @Test
    void percentWithFourDecimalsIsRefusedSayingThreeAreAllowed() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("percent: 12.3456"));
        assertProblem(p, "a.yaml", 7, "db.pool.size", "percent", "three decimals");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"5\"", "five", "5%", "true", "[5]"})
    void percentThatIsNotANumberIsRefused(String percent) {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("percent: " + percent));
        assertProblem(p, "a.yaml", 7, "db.pool.size", "percent", "must be a number between 0 and 100");
    }

    @Test
    void percentAsTextInJsonIsRefused() {
        SettingsProblem p = onlyProblem("a.json", """
                {"settings": {"a": {"value": 1}},
                 "migrations": {"a": {"to": 2,
                   "percent": "5"}}}
                """);
        assertProblem(p, "a.json", 3, "a", "percent", "found text '5'");
    }

    // ---------------------------------------------------------------- guard

    @Test
    void badGuardWindowIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("guard:", "  window: 60 seconds"));
        assertProblem(p, "a.yaml", 8, "db.pool.size", "guard.window", "expected a duration such as 500ms, 60s, 5m or 1h");
    }

    @Test
    void guardWindowAsNumberIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("guard:", "  window: 60"));
        assertProblem(p, "a.yaml", 8, "db.pool.size", "guard.window", "must be a duration such as 60s or 5m, found number 60");
    }

    @Test
    void guardActionOtherThanHaltOrRollbackIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("guard:", "  action: explode"));
        assertProblem(p, "a.yaml", 8, "db.pool.size", "guard.action", "must be 'halt' or 'rollback', found text 'explode'");
    }

    @Test
    void guardMinSamplesMustBeWhole() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("guard:", "  minSamples: 1.5"));
        assertProblem(p, "a.yaml", 8, "db.pool.size", "guard.minSamples", "must be a whole number");
    }

    @Test
    void guardFieldThatIsNotANumberIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("guard:", "  maxRatio: lots"));
        assertProblem(p, "a.yaml", 8, "db.pool.size", "guard.maxRatio", "must be a number, found text 'lots'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-0.1", "1.5"})
    void guardMaxErrorRateOutsideZeroToOneIsRefusedAtItsField(String rate) {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("guard:", "  maxRatio: 2", "  maxErrorRate: " + rate));
        assertProblem(p, "a.yaml", 9, "db.pool.size", "guard.maxErrorRate", "must be in (0, 1]");
    }

    @Test
    void guardMaxRatioBelowOneIsRefusedAtItsField() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("guard:", "  maxRatio: 0.5"));
        assertProblem(p, "a.yaml", 8, "db.pool.size", "guard.maxRatio", "at least 1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-5"})
    void guardMinSamplesBelowOneIsRefusedAtItsField(String minSamples) {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("guard:", "  minSamples: " + minSamples));
        assertProblem(p, "a.yaml", 8, "db.pool.size", "guard.minSamples", "at least 1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0s", "500ms", "2h"})
    void guardWindowOutsideOneSecondToOneHourIsRefusedAtItsField(String window) {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("guard:", "  window: " + window));
        assertProblem(p, "a.yaml", 8, "db.pool.size", "guard.window", "between 1s and 1h");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "0.4"})
    void guardConfidenceOutsideItsRangeIsRefusedAtItsField(String confidence) {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("guard:", "  confidence: " + confidence));
        assertProblem(p, "a.yaml", 8, "db.pool.size", "guard.confidence", "[0.5, 1)");
    }

    @Test
    void everyBadGuardFieldIsReportedNotJustTheFirst() {
        List<SettingsProblem> ps = problems("a.yaml", migrationWith(
                "guard:", "  maxErrorRate: 0", "  maxRatio: 0.5", "  minSamples: 0", "  window: 2h"));
        assertThat(ps).extracting(SettingsProblem::line, SettingsProblem::field).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple(8, "guard.maxErrorRate"),
                org.assertj.core.groups.Tuple.tuple(9, "guard.maxRatio"),
                org.assertj.core.groups.Tuple.tuple(10, "guard.minSamples"),
                org.assertj.core.groups.Tuple.tuple(11, "guard.window"));
    }

    @Test
    void guardThatIsNotAMappingIsRefused() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith("guard: strict"));
        assertProblem(p, "a.yaml", 7, "db.pool.size", "guard", "must be a mapping");
    }

    // ---------------------------------------------------------------- steps

    @Test
    void stepsThatDoNotRaiseThePercentAreRefused() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith(
                "steps: [ {percent: 1, hold: 5m}, {percent: 10, hold: 5m}, {percent: 10, hold: 5m}, {percent: 100} ]"));
        assertProblem(p, "a.yaml", 7, "db.pool.size", "steps[2].percent", "steps must raise the percent");
        assertThat(p.reason()).contains("10 does not exceed the step before (10)");
    }

    @Test
    void stepsThatGoDownAreRefused() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith(
                "steps:", "  - {percent: 50, hold: 5m}", "  - {percent: 5, hold: 5m}", "  - {percent: 100}"));
        assertProblem(p, "a.yaml", 9, "db.pool.size", "steps[1].percent", "5 does not exceed the step before (50)");
    }

    @Test
    void stepWithoutHoldIsRefusedUnlessItIsTheLast() {
        SettingsProblem p = onlyProblem("a.yaml", migrationWith(
                "steps:", "  - {percent: 1, hold: 5m}", "  - {percent: 10}", "  - {percent: 100}"));
        assertProblem(p, "a.yaml", 9, "db.pool.size", "steps[1].hold", "is required on every step but the last");
    }

    @Test
    void stepWithBadOrZeroHoldIsRefused() {
        List<SettingsProblem> ps = problems("a.yaml", migrationWith(
                "steps:", "  - {percent: 1, hold: 5 minutes}", "  - {percent: 2, hold: 0s}", "  - {percent: 3, hold: 5}",
                "  - {percent: 100}"));
        assertThat(ps).hasSize(3);
        assertProblem(ps.get(0), "a.yaml", 8, "db.pool.size", "steps[0].hold", "expected a duration");
        assertProblem(ps.get(1), "a.yaml", 9, "db.pool.size", "steps[1].hold", "must be longer than zero");
        assertProblem(ps.get(2), "a.yaml", 10, "db.pool.size", "steps[2].hold", "must be a duration such as 60s or 5m");
    }

    @Test
    void stepWithoutPercentOrOutOfRangeIsRefused() {
        List<SettingsProblem> ps = problems("a.yaml", migrationWith(
                "steps:", "  - {hold: 5m}", "  - {percent: 120}"));
        assertThat(ps).hasSize(2);
        assertProblem(ps.get(0), "a.yaml", 8, "db.pool.size", "steps[0].percent", "is required");
        assertProblem(ps.get(1), "a.yaml", 9, "db.pool.size", "steps[1].percent", "between 0 and 100");
    }

    @Test
    void stepsThatAreNotAListOfMappingsAreRefused() {
        assertProblem(onlyProblem("a.yaml", migrationWith("steps: {percent: 5}")), "a.yaml", 7, "db.pool.size", "steps",
                "must be a list");
        assertProblem(onlyProblem("a.yaml", migrationWith("steps: [true, {percent: 100}]")), "a.yaml", 7, "db.pool.size",
                "steps[0]", "must be a mapping {percent, hold} or \"PERCENT:HOLD\" such as \"5:30m\", found boolean true");
        // a bare percent is the shorthand of a last step: elsewhere it lacks its hold
        assertProblem(onlyProblem("a.yaml", migrationWith("steps: [5, {percent: 100}]")), "a.yaml", 7, "db.pool.size",
                "steps[0].hold", "is required on every step but the last");
    }

    // ---------------------------------------------------------------- several problems, size

    @Test
    void everyProblemInAFileIsReportedInFileOrder() {
        List<SettingsProblem> ps = problems("a.yaml", """
                settings:
                  Bad.Key:
                    value: 1
                  no.value:
                    owner: me
                  ok:
                    value: 1
                    colour: red
                migrations:
                  ok:
                    to: 2
                    percent: 150
                    guard: {action: explode}
                    steps: [{percent: 1}, {percent: 2}]
                """);
        assertThat(ps).extracting(SettingsProblem::line, SettingsProblem::key, SettingsProblem::field)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(2, "Bad.Key", null),
                        org.assertj.core.groups.Tuple.tuple(4, "no.value", "value"),
                        org.assertj.core.groups.Tuple.tuple(8, "ok", "colour"),
                        org.assertj.core.groups.Tuple.tuple(12, "ok", "percent"),
                        org.assertj.core.groups.Tuple.tuple(13, "ok", "guard.action"),
                        org.assertj.core.groups.Tuple.tuple(14, "ok", "steps[0].hold"));
        assertThat(ps).allSatisfy(p -> assertThat(p.file()).isEqualTo("a.yaml"));
    }

    @Test
    void contentOverFourMebibytesIsRefusedWithoutParsing() {
        byte[] content = new byte[(int) SettingsFileParser.MAX_FILE_BYTES + 1];
        java.util.Arrays.fill(content, (byte) '#');
        SettingsException e = catchThrowableOfType(SettingsException.class, () -> parser.parse("big.yaml", content));
        assertThat(e.problems()).hasSize(1);
        assertProblem(e.problems().get(0), "big.yaml", 0, null, null, "over the 4 MiB limit");
        assertThat(SettingsFileParser.MAX_FILE_BYTES).isEqualTo(4 * 1024 * 1024);
    }

    /** A valid settings file of exactly {@code size} bytes: many settings, padded with a comment. */
    static String validFileOfSize(int size) {
        StringBuilder sb = new StringBuilder("settings:\n");
        String filler = "x".repeat(200);
        for (int i = 0; sb.length() < size - 1_000; i++) {
            sb.append("  key-").append(i).append(":\n    value: ").append(filler).append('\n');
        }
        sb.append('#');
        sb.append("#".repeat(size - sb.length() - 1)).append('\n');
        assertThat(sb.toString().getBytes(StandardCharsets.UTF_8)).hasSize(size);
        return sb.toString();
    }

    @Test
    void yamlFileOfExactlyFourMebibytesIsAccepted() throws Exception {
        // SnakeYAML's own default limit is 3 MiB of code points; the design's limit is 4 MiB.
        String content = validFileOfSize((int) SettingsFileParser.MAX_FILE_BYTES);
        SettingsFileParser.ParsedFile parsed = parse("big.yaml", content);
        assertThat(parsed.settings()).hasSizeGreaterThan(15_000).containsKey("key-0");
    }

    @Test
    void problemDescribeNamesFileLineKeyAndField() {
        assertThat(new SettingsProblem("a.yaml", 12, "db.pool.size", "percent", "too big").describe())
                .isEqualTo("a.yaml:12: db.pool.size.percent: too big");
        assertThat(new SettingsProblem("a.yaml", 0, null, "setting", "unknown").describe())
                .isEqualTo("a.yaml: setting: unknown");
        assertThat(new SettingsProblem(null, 0, null, null, "no directory").describe()).isEqualTo("no directory");
        assertThat(new SettingsProblem("a.yaml", 3, "k", null, "bad").describe()).isEqualTo("a.yaml:3: k: bad");
    }

    @Test
    void settingsExceptionKeepsEveryProblem() {
        SettingsProblem a = new SettingsProblem("a.yaml", 1, null, null, "x");
        SettingsProblem b = new SettingsProblem("b.yaml", 2, null, null, "y");
        SettingsException e = new SettingsException(List.of(a, b));
        assertThat(e.problems()).containsExactly(a, b);
        assertThat(e).hasMessage("a.yaml:1: x; b.yaml:2: y");
        assertThatThrownBy(() -> e.problems().add(a)).isInstanceOf(UnsupportedOperationException.class);
    }
}

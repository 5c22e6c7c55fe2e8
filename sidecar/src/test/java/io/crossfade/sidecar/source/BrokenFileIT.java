package io.crossfade.sidecar.source;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.Reloads;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A reload that fails anywhere is rejected whole: the last good settings keep serving, {@code /ready}
 * stays 200 and names the problem (file, line, key, field), the failure is counted, and fixing the
 * files recovers. One sidecar goes through every kind of error the design lists.
 */
class BrokenFileIT {

    private static final String GOOD = """
            settings:
              app.limit:
                value: 5
              app.mode:
                value: fast
            migrations:
              app.mode:
                to: safe
                percent: 10
            """;

    @TempDir
    static Path settings;
    @TempDir
    static Path state;
    static SidecarProcess sidecar;

    @BeforeAll
    static void start() {
        SettingsFiles.write(settings, "app.yaml", GOOD);
        sidecar = SidecarProcess.start(settings, state);
    }

    @AfterAll
    static void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    /**
     * One way to break the directory.
     *
     * @param file the file written (app.yaml is replaced; any other is added, then removed to fix)
     * @param content what it is written with
     * @param line the line the problem must name, or null when no line applies
     * @param key the key it must name, or null
     * @param field the field it must name, or null
     * @param reason a part of the reason
     */
    record Breakage(String name, String file, byte[] content, Integer line, String key, String field, String reason) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Breakage breakage(String name, String file, String content, Integer line, String key, String field,
            String reason) {
        return new Breakage(name, file, content.getBytes(StandardCharsets.UTF_8), line, key, field, reason);
    }

    static Stream<Arguments> breakages() {
        byte[] huge = new byte[4 * 1024 * 1024 + 1];
        Arrays.fill(huge, (byte) '#');
        return Stream.of(
                breakage("YAML syntax error", "app.yaml", """
                        settings:
                          app.limit:
                            value: [5
                          app.mode:
                            value: fast
                        """, 3, null, null, "not valid YAML"),
                breakage("JSON syntax error", "extra.json", """
                        {"settings": {
                          "extra.one": {"value": 1},
                          "extra.two": {"value": 2,}
                        }}
                        """, 3, null, null, "not valid JSON"),
                breakage("unknown field", "app.yaml", GOOD.replace("    value: 5\n", "    value: 5\n    colour: red\n"),
                        4, "app.limit", "colour", "unknown field 'colour'"),
                breakage("percent out of range", "app.yaml", GOOD.replace("percent: 10", "percent: 100.5"),
                        9, "app.mode", "percent", "100"),
                breakage("bad key", "app.yaml", GOOD.replace("  app.limit:", "  App.Limit:"),
                        2, "App.Limit", null, "invalid key"),
                breakage("duplicate key across files", "extra.yaml", "settings:\n  app.limit:\n    value: 6\n",
                        2, "app.limit", null, "already declared in app.yaml"),
                breakage("migration of an unknown setting", "extra.yaml", "migrations:\n  ghost.key:\n    to: 1\n",
                        2, "ghost.key", null, "unknown setting"),
                new Breakage("file over 4 MiB", "extra.yaml", huge, null, null, null, "4 MiB"))
                .map(Arguments::of);
    }

    static double reloads(String result) {
        return MetricsScrape.parse(sidecar.getOps("/metrics").body())
                .value("crossfade_config_reloads_total", "result", result).orElseThrow();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breakages")
    void aBrokenReloadKeepsServingShowsTheProblemAndRecovers(Breakage b) throws Exception {
        double failuresBefore = reloads("failure");
        double successesBefore = reloads("success");
        String versionBefore = json(sidecar.getOps("/ready")).path("source").path("version").asText();

        SettingsFiles.write(settings, b.file(), b.content());

        JsonNode problem = awaitProblem();
        assertThat(problem.path("file").asText()).isEqualTo(b.file());
        if (b.line() == null) {
            assertThat(problem.get("line").isNull()).as("line of %s", problem).isTrue();
        } else {
            assertThat(problem.path("line").asInt()).as("line of %s", problem).isEqualTo(b.line());
        }
        assertThat(textOrNull(problem.get("key"))).as("key of %s", problem).isEqualTo(b.key());
        assertThat(textOrNull(problem.get("field"))).as("field of %s", problem).isEqualTo(b.field());
        assertThat(problem.path("reason").asText()).contains(b.reason());
        assertThat(problem.path("message").asText()).startsWith(b.file() + (b.line() == null ? ": " : ":" + b.line() + ": "));
        // the last good settings keep serving, and /ready stays ready
        assertThat(sidecar.get("/v1/settings/app.limit/value").body()).isEqualTo("5");
        assertThat(sidecar.get("/v1/settings/app.mode?unit=u1").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = sidecar.getOps("/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(json(ready).path("source").path("version").asText()).isEqualTo(versionBefore);
        assertThat(reloads("failure")).isEqualTo(failuresBefore + 1);
        assertThat(sidecar.output()).anyMatch(line -> line.contains("settings reload rejected")
                && line.contains(b.file()));

        boolean replaced = b.file().equals("app.yaml");
        if (replaced) {
            SettingsFiles.write(settings, "app.yaml", GOOD.replace("value: 5", "value: 7"));
        } else {
            SettingsFiles.delete(settings, b.file());
        }
        await("the reload error to clear").atMost(Reloads.BOUND).pollInterval(java.time.Duration.ofMillis(20))
                .until(() -> json(sidecar.getOps("/ready")).path("source").get("reloadError").isNull());
        assertThat(sidecar.get("/v1/settings/app.limit/value").body()).isEqualTo(replaced ? "7" : "5");
        assertThat(reloads("success")).isEqualTo(successesBefore + 1);
        assertThat(reloads("failure")).isEqualTo(failuresBefore + 1);

        if (replaced) {
            SettingsFiles.write(settings, "app.yaml", GOOD);
            Reloads.awaitValue(sidecar, "app.limit", "5");
        }
    }

    private static JsonNode awaitProblem() {
        JsonNode[] problem = new JsonNode[1];
        await("the reload error on /ready").atMost(Reloads.BOUND).pollInterval(java.time.Duration.ofMillis(20))
                .until(() -> {
                    JsonNode error = json(sidecar.getOps("/ready")).path("source").path("reloadError");
                    if (error.isNull() || error.isMissingNode()) {
                        return false;
                    }
                    assertThat(error.path("at").asText()).isNotBlank();
                    assertThat(error.path("problems").size()).isEqualTo(1);
                    problem[0] = error.path("problems").get(0);
                    return true;
                });
        return problem[0];
    }

    private static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }
}

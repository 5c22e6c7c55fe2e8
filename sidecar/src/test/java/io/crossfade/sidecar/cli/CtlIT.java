package io.crossfade.sidecar.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crossfade.sidecar.testing.SidecarProcess;
import io.crossfade.sidecar.testing.SidecarProcess.Result;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code crossfade ctl} run as a real process (the jar's {@code ctl} command) against a real
 * sidecar: what it prints, and its exit status — 0 done, 1 refused or unreachable, 2 usage.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CtlIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path settingsDir;

    @TempDir
    static Path stateDir;

    private SidecarProcess sidecar;

    @BeforeAll
    void start() throws IOException {
        Files.writeString(settingsDir.resolve("settings.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                  search.model: { value: "bm25" }
                  checkout.banner: { value: { text: "Free shipping over 50 EUR", color: "#0a7" } }
                  plain.setting: { value: 1 }
                  guarded.limit: { value: 1 }
                migrations:
                  db.pool.size: { to: 20, percent: 5, owner: alice }
                  search.model: { to: "bert", percent: 10, owner: team-search }
                  checkout.banner: { to: { text: "Free shipping over 40 EUR", color: "#0a7" } }
                  guarded.limit: { to: 2, percent: 50 }
                """);
        sidecar = SidecarProcess.start(settingsDir, stateDir);
    }

    @AfterAll
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    private static void assertExit(Result r, int code) {
        assertThat(r.exitCode()).as(r.output()).isEqualTo(code);
    }

    @Test
    void statusPrintsATableOfEveryMigration() {
        Result r = sidecar.ctl("status");
        assertExit(r, 0);
        String[] lines = r.output().strip().split("\n");
        assertThat(lines[0]).matches("KEY +PERCENT +STATE +OLD → NEW +OWNER +ERRORS \\(old / new\\) +EVIDENCE +REV");
        assertThat(r.output()).containsPattern("search\\.model +\\d+(\\.\\d+)?% +\\S+ +\"bm25\" → \"bert\" +team-search +- +(\\d+%|idle|-) +\\d+");
        assertThat(r.output()).containsPattern("checkout\\.banner +[\\d.]+% +running +\\{\"text\":\"Free shipping[^ ]* [^ ]*\\.\\.\\. → \\{");
        assertThat(r.output()).doesNotContain("plain.setting");
    }

    @Test
    void statusShowsErrorsPerVariantFromTheGuardWindow() {
        var posted = sidecar.post("/v1/outcomes", "{\"outcomes\":["
                + "{\"key\":\"guarded.limit\",\"variant\":\"old\",\"ok\":95,\"errors\":5},"
                + "{\"key\":\"guarded.limit\",\"variant\":\"new\",\"ok\":9,\"errors\":1}]}");
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
        Result r = sidecar.ctl("status");
        assertExit(r, 0);
        assertThat(r.output()).containsPattern("guarded\\.limit .*5\\.00% \\(5/100\\) / 10\\.00% \\(1/10\\) +\\d+% +\\d+");
    }

    @Test
    void aRolloutThroughTheCliChangesTheMigrationAndTheEventsTellItInOrder() throws IOException {
        Result set = sidecar.ctl("set", "db.pool.size", "25", "--reason", "canary looks fine");
        assertExit(set, 0);
        assertThat(set.output()).matches("(?s)db\\.pool\\.size is now at 25% running \\(revision \\d+\\)\\s*");
        assertExit(sidecar.ctl("pause", "db.pool.size", "--reason", "lunch"), 0);
        assertExit(sidecar.ctl("resume", "db.pool.size"), 0);
        assertExit(sidecar.ctl("set", "db.pool.size", "100"), 0);
        Result complete = sidecar.ctl("complete", "db.pool.size", "--reason", "all good");
        assertExit(complete, 0);
        assertThat(complete.output()).contains("db.pool.size is now at 100% completed");

        // the reads follow
        assertThat(sidecar.get("/v1/settings/db.pool.size/value?unit=anyone").body()).isEqualTo("20");

        Result events = sidecar.ctl("events", "db.pool.size");
        assertExit(events, 0);
        assertThat(events.output()).containsSubsequence(
                "SEQ", "ACTOR", "ACTION", "CHANGE", "REASON",
                "reload", "created", "(none) → 5% running",
                "admin", "set_percent", "5% running → 25% running", "canary looks fine",
                "admin", "pause", "25% running → 25% paused", "lunch",
                "admin", "resume", "25% paused → 25% running",
                "admin", "set_percent", "25% running → 100% running",
                "admin", "complete", "100% running → 100% completed", "all good");

        Result json = sidecar.ctl("events", "db.pool.size", "--json", "--limit", "2");
        assertExit(json, 0);
        JsonNode page = JSON.readTree(json.output());
        assertThat(page.get("events")).hasSize(2);
        assertThat(page.get("more").asBoolean()).isTrue();

        Result paged = sidecar.ctl("events", "db.pool.size", "--limit", "2");
        assertThat(paged.output()).contains("(more: crossfade ctl events db.pool.size --since " + page.get("next").asLong() + ")");
        Result rest = sidecar.ctl("events", "db.pool.size", "--since", page.get("next").asText());
        assertThat(rest.output()).doesNotContain("created").contains("complete");
    }

    @Test
    void jsonPrintsTheSidecarsAnswerAsItIs() throws IOException {
        Result status = sidecar.ctl("status", "--json");
        assertExit(status, 0);
        assertThat(JSON.readTree(status.output()).get("migrations").isArray()).isTrue();

        Result change = sidecar.ctl("--json", "set", "checkout.banner", "12.5", "--reason", "json please");
        assertExit(change, 0);
        JsonNode view = JSON.readTree(change.output());
        assertThat(view.at("/state/percent").decimalValue()).isEqualByComparingTo("12.5");
        assertThat(view.at("/state/reason").asText()).isEqualTo("json please");
    }

    @Test
    void refusedChangesExitOneWithTheSidecarsReasonAndChangeNothing() {
        String before = withoutHealth(sidecar.adminGet("/admin/v1/migrations/search.model").body());

        Result complete = sidecar.ctl("complete", "search.model");
        assertExit(complete, 1);
        assertThat(complete.output()).contains("crossfade ctl: refused (409 conflict): search.model is at 10 %;"
                + " complete needs 100 % (set 100 first)");

        Result stale = sidecar.ctl("set", "search.model", "20", "--if-match", "999999");
        assertExit(stale, 1);
        assertThat(stale.output()).contains("refused (412 precondition_failed): migration search.model is at revision");

        Result tooMuch = sidecar.ctl("set", "search.model", "150");
        assertExit(tooMuch, 1);
        assertThat(tooMuch.output()).contains("invalid value: percent must be between 0 and 100, got 150");

        Result notANumber = sidecar.ctl("set", "search.model", "NaN");
        assertExit(notANumber, 1);
        assertThat(notANumber.output()).contains("invalid value: percent must be a number between 0 and 100, got 'NaN'");

        Result decimals = sidecar.ctl("set", "search.model", "1.2345");
        assertExit(decimals, 1);
        assertThat(decimals.output()).contains("percent has at most three decimals");

        Result unknown = sidecar.ctl("pause", "no.such.key");
        assertExit(unknown, 1);
        assertThat(unknown.output()).contains("refused (404 not_found): no setting named no.such.key");

        Result noMigration = sidecar.ctl("rollback", "plain.setting");
        assertExit(noMigration, 1);
        assertThat(noMigration.output()).contains("setting plain.setting has no migration");

        Result longReason = sidecar.ctl("pause", "search.model", "--reason", "x".repeat(1001));
        assertExit(longReason, 1);
        assertThat(longReason.output()).contains("refused (400 bad_request): reason is longer than 1000 characters");

        // the migration, not the guard's live view (its evidence's span grows while the test runs)
        assertThat(withoutHealth(sidecar.adminGet("/admin/v1/migrations/search.model").body())).isEqualTo(before);
    }

    @Test
    void usageErrorsExitTwo() {
        assertExit(sidecar.ctl("set", "search.model"), 2);
        assertExit(sidecar.ctl("frobnicate"), 2);
        assertExit(sidecar.ctl("events", "--limit", "0"), 2);
        assertExit(sidecar.ctl("pause", "search.model", "--if-match", "abc"), 2);
        Result none = SidecarProcess.run(Duration.ofSeconds(60), "ctl");
        assertExit(none, 2);
        assertThat(none.output()).contains("choose a command");
        Result badOps = SidecarProcess.run(Duration.ofSeconds(60), "ctl", "status", "--ops", "ftp://x");
        assertExit(badOps, 2);
        assertThat(badOps.output()).contains("--ops must be the sidecar's ops address");
    }

    @Test
    void aWrongTokenExitsOneAndSaysWhichFileHeldIt(@TempDir Path dir) throws IOException {
        Path wrong = dir.resolve("wrong.token");
        Files.writeString(wrong, "not-the-token-of-this-sidecar\n");
        Result r = SidecarProcess.run(Duration.ofSeconds(60), "ctl", "status", "--ops", sidecar.opsUri().toString(),
                "--token-file", wrong.toString());
        assertExit(r, 1);
        assertThat(r.output()).contains("crossfade ctl: the sidecar refused the token in " + wrong + " (401)");

        Result missing = SidecarProcess.run(Duration.ofSeconds(60), "ctl", "status", "--ops", sidecar.opsUri().toString(),
                "--state", dir.resolve("nowhere").toString());
        assertExit(missing, 1);
        assertThat(missing.output()).contains("no admin token at " + dir.resolve("nowhere").resolve("admin.token"));
    }

    @Test
    void aSidecarThatIsNotRunningExitsOneAndSaysSo() throws IOException {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Result r = SidecarProcess.run(Duration.ofSeconds(60), "ctl", "status", "--ops", "127.0.0.1:" + port,
                "--state", stateDir.toString());
        assertExit(r, 1);
        assertThat(r.output()).contains("crossfade ctl: cannot reach the sidecar at http://127.0.0.1:" + port
                + "/: connection refused — is `crossfade serve` running?");
    }

    @Test
    void theEnvironmentCanNameTheSidecarAndItsState() {
        Result r = SidecarProcess.run(Duration.ofSeconds(60),
                Map.of("CROSSFADE_OPS", sidecar.opsUri().toString(), "CROSSFADE_STATE", stateDir.toString()),
                "ctl", "status");
        assertExit(r, 0);
        assertThat(r.output()).contains("search.model");
    }

    @Test
    void aNamedTokenActsAsItsName(@TempDir Path settings, @TempDir Path state, @TempDir Path secrets)
            throws IOException {
        Files.writeString(settings.resolve("s.yaml"), "settings:\n  a.b: { value: 1 }\nmigrations:\n  a.b: { to: 2 }\n");
        Path tokens = secrets.resolve("tokens");
        Files.writeString(tokens, "alice:alice-secret-token-123456\nbob:bob-secret-token-7890123\n");
        try (SidecarProcess named = SidecarProcess.start(settings, state, "--admin-token-file", tokens.toString())) {
            String ops = named.opsUri().toString();
            Result ambiguous = SidecarProcess.run(Duration.ofSeconds(60), "ctl", "set", "a.b", "10", "--ops", ops,
                    "--token-file", tokens.toString());
            assertExit(ambiguous, 1);
            assertThat(ambiguous.output()).contains("holds 2 tokens; choose one with --token-name (alice, bob)");

            assertExit(SidecarProcess.run(Duration.ofSeconds(60), "ctl", "set", "a.b", "10", "--ops", ops,
                    "--token-file", tokens.toString(), "--token-name", "bob", "--reason", "bob did it"), 0);
            Result events = SidecarProcess.run(Duration.ofSeconds(60), "ctl", "events", "--ops", ops,
                    "--token-file", tokens.toString(), "--token-name", "alice");
            assertExit(events, 0);
            assertThat(events.output()).containsPattern("bob +a\\.b +set_percent +0% running → 10% running +bob did it");
            assertThat(String.join("\n", named.output())).doesNotContain("secret-token");
        }
    }

    @Test
    void helpListsTheReasonAndIfMatchOptionsAndTheFollowingModes() {
        Result help = SidecarProcess.run(Duration.ofSeconds(60), "ctl", "--help");
        assertExit(help, 0);
        assertThat(help.output()).contains("--reason=TEXT").contains("--if-match=REV").contains("status --watch")
                .contains("events --follow").contains("CROSSFADE_ADMIN_TOKEN_FILE");
    }

    /** A ctl process that runs until killed, its output lines collected as they come. */
    private record Running(Process process, List<String> lines) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private Running ctlUntilKilled(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", SidecarProcess.jar().toString(), "ctl"));
        command.addAll(List.of(args));
        command.addAll(List.of("--ops", sidecar.opsUri().toString(), "--state", stateDir.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                r.lines().forEach(lines::add);
            } catch (IOException e) {
                // killed
            }
        }, "ctl-output");
        reader.setDaemon(true);
        reader.start();
        return new Running(p, lines);
    }

    @Test
    void statusWatchRedrawsTheTableUntilKilled() throws Exception {
        try (Running watch = ctlUntilKilled("status", "--watch")) {
            await().atMost(Duration.ofSeconds(60)).until(() -> watch.lines().stream()
                    .filter(l -> l.startsWith("KEY ")).count() >= 2);
            assertThat(watch.lines()).anyMatch(l -> l.startsWith("every 1s, "));

            assertExit(sidecar.ctl("set", "search.model", "33.333"), 0);

            await().atMost(Duration.ofSeconds(60)).until(() -> watch.lines().stream()
                    .anyMatch(l -> l.matches("search\\.model +33\\.333% .*")));
            assertThat(watch.process().isAlive()).as("still watching").isTrue();
        }
    }

    @Test
    void eventsFollowPrintsNewEventsAsTheyAreAppended() throws Exception {
        try (Running follow = ctlUntilKilled("events", "search.model", "--follow")) {
            await().atMost(Duration.ofSeconds(60)).until(() -> follow.lines().stream()
                    .anyMatch(l -> l.contains("reload") && l.contains("created")));

            assertExit(sidecar.ctl("set", "search.model", "44.444", "--reason", "followed live"), 0);

            await().atMost(Duration.ofSeconds(60)).until(() -> follow.lines().stream()
                    .anyMatch(l -> l.contains("set_percent") && l.contains("44.444% running") && l.contains("followed live")));
            assertThat(follow.lines().stream().filter(l -> l.startsWith("SEQ ")).count()).as("one header").isEqualTo(1);
            assertThat(follow.process().isAlive()).as("still following").isTrue();
        }
    }

    private static String withoutHealth(String view) {
        try {
            com.fasterxml.jackson.databind.node.ObjectNode node = (com.fasterxml.jackson.databind.node.ObjectNode)
                    io.crossfade.sidecar.json.Json.MAPPER.readTree(view);
            node.remove("health");
            return node.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

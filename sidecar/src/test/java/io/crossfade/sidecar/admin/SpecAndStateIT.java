package io.crossfade.sidecar.admin;

import static io.crossfade.sidecar.admin.AdminApiIT.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files are the spec and the sidecar never writes them; operator decisions are the state. A
 * migration keeps its state through edits of owner, notes or guard, and a new {@code to} starts a
 * fresh one — each recorded in the audit log by {@code reload}.
 */
class SpecAndStateIT {

    @TempDir
    Path settingsDir;

    @TempDir
    Path stateDir;

    private static String settings(String owner, String to, int percent) {
        return "settings:\n  db.pool.size: { value: 10 }\nmigrations:\n  db.pool.size: { to: " + to + ", percent: "
                + percent + ", owner: " + owner + " }\n";
    }

    @Test
    void editsKeepTheStateANewToStartsAFreshMigrationAndTheFilesAreNeverWritten() throws Exception {
        Path file = settingsDir.resolve("settings.yaml");
        Files.writeString(file, settings("alice", "20", 5));
        try (SidecarProcess sidecar = SidecarProcess.start(settingsDir, stateDir)) {
            String id = json(sidecar.adminGet("/admin/v1/migrations/db.pool.size")).get("id").asText();
            assertThat(sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 40}").statusCode())
                    .isEqualTo(200);

            // New owner and a new starting percent: same migration, same state.
            Files.writeString(file, settings("bob", "20", 1));
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    json(sidecar.adminGet("/admin/v1/migrations/db.pool.size")).at("/spec/owner").asText().equals("bob"));
            JsonNode kept = json(sidecar.adminGet("/admin/v1/migrations/db.pool.size"));
            assertThat(kept.get("id").asText()).isEqualTo(id);
            assertThat(kept.at("/state/percent").asInt()).isEqualTo(40);

            // A new `to`: a new migration from the file's percent; the old one retired.
            Files.writeString(file, settings("bob", "30", 2));
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    json(sidecar.adminGet("/admin/v1/migrations/db.pool.size")).at("/spec/to").asInt() == 30);
            JsonNode fresh = json(sidecar.adminGet("/admin/v1/migrations/db.pool.size"));
            assertThat(fresh.get("id").asText()).isNotEqualTo(id);
            assertThat(fresh.at("/state/percent").asInt()).isEqualTo(2);

            List<String> story = new ArrayList<>();
            json(sidecar.adminGet("/admin/v1/events?key=db.pool.size")).get("events").forEach(e ->
                    story.add(e.get("actor").asText() + " " + e.get("action").asText() + " " + e.get("migration").asText()));
            assertThat(story).containsExactly("reload created " + id, "admin set_percent " + id,
                    "reload retired " + id, "reload created " + fresh.get("id").asText());
            assertThat(Files.readString(file)).isEqualTo(settings("bob", "30", 2));
        }
    }

    @Test
    void aPercentChangedInTheFileIsOnlyTheStartingPercentAndSaysSo() throws Exception {
        Path file = settingsDir.resolve("settings.yaml");
        Files.writeString(file, settings("alice", "20", 5));
        try (SidecarProcess sidecar = SidecarProcess.start(settingsDir, stateDir)) {
            assertThat(json(sidecar.getOps("/ready")).at("/migrations/db.pool.size/note").isMissingNode()).isTrue();
            assertThat(json(sidecar.adminGet("/admin/v1/migrations/db.pool.size")).get("note").isNull()).isTrue();

            Files.writeString(file, settings("alice", "20", 30));

            String note = "the file's percent 30 is only the starting percent; the state is 5 (running);"
                    + " use `crossfade ctl set db.pool.size 30` to change it";
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    json(sidecar.getOps("/ready")).at("/migrations/db.pool.size/note").asText().equals(note));
            JsonNode view = json(sidecar.adminGet("/admin/v1/migrations/db.pool.size"));
            assertThat(view.get("note").asText()).isEqualTo(note);
            assertThat(view.at("/state/percent").asInt()).isEqualTo(5);
            await().atMost(Duration.ofSeconds(30)).until(() -> sidecar.output().stream()
                    .anyMatch(l -> l.contains("db.pool.size in settings.yaml: " + note)));

            // once the state agrees with the file, there is nothing to explain
            assertThat(sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 30}").statusCode())
                    .isEqualTo(200);
            assertThat(json(sidecar.getOps("/ready")).at("/migrations/db.pool.size/note").isMissingNode()).isTrue();
        }
    }

    @Test
    void anOperatorsOwnChangeLeavesNoAdviceAndAnEditsNoteLastsUntilTheNextOperatorChange() throws Exception {
        Path file = settingsDir.resolve("settings.yaml");
        Files.writeString(file, settings("alice", "20", 5));
        try (SidecarProcess sidecar = SidecarProcess.start(settingsDir, stateDir)) {
            SidecarProcess.Result set = sidecar.ctl("set", "db.pool.size", "30");
            assertThat(set.exitCode()).as(set.output()).isZero();
            assertNoNote(sidecar);
            // a set without --reason is logged as such, not as "(null)"
            await().atMost(Duration.ofSeconds(30)).until(() -> sidecar.output().stream()
                    .anyMatch(l -> l.contains("set_percent db.pool.size by ") && l.contains("(no reason given)")));
            assertThat(sidecar.output()).noneMatch(l -> l.contains("(null)"));

            // an unrelated reload: still no advice, and nothing logged about the starting percent
            Files.writeString(settingsDir.resolve("other.yaml"), "settings:\n  other.limit: { value: 1 }\n");
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    sidecar.get("/v1/settings/other.limit/value").statusCode() == 200);
            assertNoNote(sidecar);
            assertThat(startingPercentWarnings(sidecar)).isZero();

            // an edit of the file's percent that the state does not follow: the note, logged once
            Files.writeString(file, settings("alice", "20", 40));
            String note = "the file's percent 40 is only the starting percent; the state is 30 (running);"
                    + " use `crossfade ctl set db.pool.size 40` to change it";
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    json(sidecar.getOps("/ready")).at("/migrations/db.pool.size/note").asText().equals(note));
            await().atMost(Duration.ofSeconds(30)).until(() -> startingPercentWarnings(sidecar) == 1);
            Files.writeString(settingsDir.resolve("other.yaml"), "settings:\n  other.limit: { value: 2 }\n");
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    sidecar.get("/v1/settings/other.limit/value").body().equals("2"));
            assertThat(json(sidecar.getOps("/ready")).at("/migrations/db.pool.size/note").asText()).isEqualTo(note);
            assertThat(startingPercentWarnings(sidecar)).as("not repeated on an unrelated reload").isEqualTo(1);

            // the next operator change answers the edit, and the note does not come back
            SidecarProcess.Result pause = sidecar.ctl("pause", "db.pool.size", "--reason", "looking at it");
            assertThat(pause.exitCode()).as(pause.output()).isZero();
            assertNoNote(sidecar);
            Files.writeString(settingsDir.resolve("other.yaml"), "settings:\n  other.limit: { value: 3 }\n");
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    sidecar.get("/v1/settings/other.limit/value").body().equals("3"));
            assertNoNote(sidecar);
            assertThat(startingPercentWarnings(sidecar)).isEqualTo(1);
        }
    }

    private static void assertNoNote(SidecarProcess sidecar) {
        assertThat(json(sidecar.getOps("/ready")).at("/migrations/db.pool.size/note").isMissingNode()).isTrue();
        assertThat(json(sidecar.adminGet("/admin/v1/migrations/db.pool.size")).get("note").isNull()).isTrue();
    }

    private static long startingPercentWarnings(SidecarProcess sidecar) {
        return sidecar.output().stream().filter(l -> l.contains("is only the starting percent")).count();
    }
}

package io.crossfade.sidecar.admin;

import static io.crossfade.sidecar.admin.AdminApiIT.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.SidecarProcess;
import io.crossfade.sidecar.testing.VariantSweep;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole rollout told through the admin API and checked where it matters, on the read listener:
 * 100 000 units read the setting over HTTP at every step.
 */
class RolloutStoryIT {

    private static final int UNITS = 100_000;
    private static final String KEY = "db.pool.size";
    private static final List<String> UNIT_IDS = IntStream.range(0, UNITS).mapToObj(i -> "user-" + i).toList();

    @TempDir
    Path settingsDir;

    @TempDir
    Path stateDir;

    private static String[] sweep(SidecarProcess sidecar) {
        return VariantSweep.variants(sidecar.readUri(), KEY, UNIT_IDS);
    }

    private static double percentOnNew(String[] variants) {
        return 100.0 * Arrays.stream(variants).filter("new"::equals).count() / variants.length;
    }

    private static void assertNoUnitWentBack(String[] before, String[] after) {
        for (int i = 0; i < before.length; i++) {
            if (before[i].equals("new")) {
                assertThat(after[i]).as("unit %s was on new", UNIT_IDS.get(i)).isEqualTo("new");
            }
        }
    }

    private static JsonNode change(SidecarProcess sidecar, String action, String body) {
        HttpResponse<String> r = sidecar.adminPost("/admin/v1/migrations/" + KEY + "/" + action, body);
        assertThat(r.statusCode()).as(action + " " + body + ": " + r.body()).isEqualTo(200);
        return json(r);
    }

    @Test
    void raisingRestartingRollingBackAndCompletingMoveUnitsExactlyAsTheAuditLogSays() throws Exception {
        Files.writeString(settingsDir.resolve("settings.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                migrations:
                  db.pool.size: { to: 20, percent: 10, owner: alice }
                """);
        String[] at50;
        try (SidecarProcess sidecar = SidecarProcess.start(settingsDir, stateDir)) {
            String[] at10 = sweep(sidecar);
            assertThat(percentOnNew(at10)).isCloseTo(10, org.assertj.core.data.Offset.offset(0.5));

            change(sidecar, "percent", "{\"percent\": 25, \"reason\": \"looks fine\"}");
            String[] at25 = sweep(sidecar);
            assertThat(percentOnNew(at25)).isCloseTo(25, org.assertj.core.data.Offset.offset(0.5));
            assertNoUnitWentBack(at10, at25);

            change(sidecar, "percent", "{\"percent\": 50, \"reason\": \"half\"}");
            at50 = sweep(sidecar);
            assertThat(percentOnNew(at50)).isCloseTo(50, org.assertj.core.data.Offset.offset(0.5));
            assertNoUnitWentBack(at25, at50);
            assertThat(sidecar.getOps("/metrics").body()).contains("crossfade_rollout_percent{key=\"db.pool.size\"} 50.0");
        }

        try (SidecarProcess sidecar = SidecarProcess.start(settingsDir, stateDir)) {
            // Across a restart every unit keeps its side.
            assertThat(sweep(sidecar)).isEqualTo(at50);

            JsonNode rolledBack = change(sidecar, "rollback", "{\"reason\": \"errors on new\"}");
            assertThat(rolledBack.at("/state/state").asText()).isEqualTo("rolled_back");
            assertThat(sweep(sidecar)).containsOnly("old");
            assertThat(sidecar.getOps("/metrics").body())
                    .contains("crossfade_rollout_percent{key=\"db.pool.size\"} 0.0")
                    .contains("crossfade_rollout_state{key=\"db.pool.size\",state=\"rolled_back\"} 1.0");

            change(sidecar, "percent", "{\"percent\": 100, \"reason\": \"fixed\"}");
            JsonNode completed = change(sidecar, "complete", "{\"reason\": \"done\"}");
            assertThat(completed.at("/state/state").asText()).isEqualTo("completed");
            assertThat(sweep(sidecar)).containsOnly("new");
            assertThat(sidecar.get("/v1/settings/" + KEY + "/value?unit=user-1").body()).isEqualTo("20");

            JsonNode events = json(sidecar.adminGet("/admin/v1/events?key=" + KEY));
            List<String> story = new ArrayList<>();
            for (JsonNode e : events.get("events")) {
                story.add(e.get("actor").asText() + " " + e.get("action").asText() + " "
                        + e.at("/from/percent").asText("-") + "->" + e.at("/to/percent").asText() + " "
                        + e.at("/to/state").asText() + " (" + e.get("reason").asText() + ")");
            }
            assertThat(story).containsExactly(
                    "reload created -->10 running (declared in settings.yaml at 10 %)",
                    "admin set_percent 10->25 running (looks fine)",
                    "admin set_percent 25->50 running (half)",
                    "admin rollback 50->0 rolled_back (errors on new)",
                    "admin set_percent 0->100 running (fixed)",
                    "admin complete 100->100 completed (done)");
        }
    }
}

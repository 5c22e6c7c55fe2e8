package io.crossfade.sidecar.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/** The console's cohorts section in headless Chromium against the real sidecar: shown, added to, removed from. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleCohortsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "db.pool.size";

    private Path settings;
    private Path state;
    private SidecarProcess sidecar;
    private ConsolePage page;

    @BeforeAll
    void start() throws Exception {
        String missing = ConsolePage.missingBrowser();
        if (missing != null) {
            assertThat("required".equals(System.getProperty("crossfade.browser"))).as(missing).isFalse();
            Assumptions.abort(missing);
        }
        settings = Files.createTempDirectory("console-cohorts-settings");
        state = Files.createTempDirectory("console-cohorts-state");
        SettingsFiles.write(settings, "app.yaml", """
                settings:
                  db.pool.size: { value: 10 }
                cohorts:
                  staff: { units: [alice], prefixes: ["staff-"] }
                migrations:
                  db.pool.size: { to: 20, percent: 0, include: [staff], exclude: [tenant-42] }
                """);
        sidecar = SidecarProcess.start(settings, state);
        page = ConsolePage.start(sidecar.opsUri());
        page.openFresh();
        page.enterToken(sidecar.adminToken());
        page.card(KEY);
    }

    @AfterAll
    void stop() {
        if (page != null) {
            page.close();
        }
        if (sidecar != null) {
            sidecar.close();
        }
    }

    private String variant(String unit) throws Exception {
        return JSON.readTree(sidecar.get("/v1/settings/" + KEY + "?unit=" + unit).body()).path("variant").asText();
    }

    @Test
    @Order(1)
    void theFilesListsAndTheOperatorsAreShownApart() {
        page.awaitCardText(KEY, ".cohorts .files-include", "staff (1 unit, prefixes staff-)");
        assertThat(page.cardText(KEY, ".cohorts .files-exclude")).isEqualTo("tenant-42");
        assertThat(page.cardText(KEY, ".cohorts .operator-include")).isEqualTo("none");
        assertThat(page.cardText(KEY, ".cohorts .cohort-order")).contains("Exclude wins over include");
    }

    @Test
    @Order(2)
    void anOperatorIncludesAndRemovesAUnitWithAReason() throws Exception {
        assertThat(variant("bob")).isEqualTo("old");
        page.type(KEY, "Unit", "bob");
        page.click(KEY, "Include");
        page.awaitCardText(KEY, ".cohort-message", "Give a reason");
        assertThat(variant("bob")).isEqualTo("old");

        page.type(KEY, "Why", "beta tester");
        page.click(KEY, "Include");
        page.awaitCardText(KEY, ".cohort-message", "Include done: bob");
        page.awaitCardText(KEY, ".cohorts .operator-include", "bob");
        assertThat(variant("bob")).isEqualTo("new");
        JsonNode events = JSON.readTree(sidecar.adminGet("/admin/v1/events?key=" + KEY).body()).path("events");
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.path("action").asText()).isEqualTo("include");
        assertThat(last.path("reason").asText()).isEqualTo("beta tester");

        page.type(KEY, "Why", "done testing");
        page.click(KEY, "Remove bob");
        page.awaitCardText(KEY, ".cohort-message", "Uninclude done: bob");
        page.awaitCardText(KEY, ".cohorts .operator-include", "none");
        assertThat(variant("bob")).isEqualTo("old");
    }

    @Test
    @Order(3)
    void aPageThatMissedAChangeIsRefusedByIfMatchAndChangesNothing() throws Exception {
        page.awaitCardText(KEY, ".cohorts .operator-exclude", "none");
        long seen = JSON.readTree(sidecar.adminGet("/admin/v1/migrations/" + KEY).body()).path("revision").asLong();
        sidecar.adminPost("/admin/v1/migrations/" + KEY + "/exclude", "{\"units\": [\"carol\"], \"reason\": \"cli\"}");
        // the operator acts on what the page showed before that change (set and clicked in one step,
        // so that no poll comes between)
        page.js("""
                const card = window.crossfadeConsole.state().cards.get(arguments[0]);
                card.view = Object.assign({}, card.view, { revision: arguments[1] });
                card.root.querySelector('.cohort-unit').value = 'dave';
                card.root.querySelector('.cohort-reason').value = 'stale page';
                card.root.querySelector('.cohort-exclude').click();
                """, KEY, seen);
        page.awaitCardText(KEY, ".cohort-message", "since you looked (you acted on revision " + seen + ")");
        assertThat(variant("dave")).isEqualTo("old");
        JsonNode view = JSON.readTree(sidecar.adminGet("/admin/v1/migrations/" + KEY).body());
        assertThat(view.path("cohorts").path("operatorExclude").toString()).isEqualTo("[\"carol\"]");
        page.awaitCardText(KEY, ".cohorts .operator-exclude", "carol");
    }
}

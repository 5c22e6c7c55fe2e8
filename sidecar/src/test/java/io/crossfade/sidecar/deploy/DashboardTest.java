package io.crossfade.sidecar.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The structure of {@code deploy/grafana/crossfade.json} as Grafana 10+ imports it. Grafana itself is
 * not installable here (Debian has no package, and nothing may be downloaded), so the dashboard is
 * never rendered in a test: this test checks its shape, and {@link ExportedMetricsIT} checks that
 * every query names only metrics and labels a real sidecar exports.
 */
class DashboardTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode dashboard() throws IOException {
        return JSON.readTree(DeployedQueries.dashboardFile().toFile());
    }

    @Test
    void isAGrafanaTenDashboardWithOneRowPerConcernInOrder() throws IOException {
        JsonNode d = dashboard();
        assertThat(d.path("schemaVersion").asInt()).as("schemaVersion of Grafana 10+").isGreaterThanOrEqualTo(36);
        assertThat(d.path("uid").asText()).isEqualTo("crossfade");
        List<String> rows = new ArrayList<>();
        for (JsonNode p : d.path("panels")) {
            if (p.path("type").asText().equals("row")) {
                rows.add(p.path("title").asText());
            }
        }
        assertThat(rows).containsExactly("Reads", "Migrations", "Guard", "Reloads and last-known-good", "Fleet", "Proxy",
                "Connections", "Notifications");
    }

    @Test
    void everyPanelHasAUniqueIdFitsTheGridAndQueriesTheChosenDatasource() throws IOException {
        Set<Integer> ids = new HashSet<>();
        for (JsonNode p : dashboard().path("panels")) {
            String title = p.path("title").asText();
            assertThat(ids.add(p.path("id").asInt())).as("id of %s is unique", title).isTrue();
            JsonNode grid = p.path("gridPos");
            assertThat(grid.path("x").asInt() + grid.path("w").asInt()).as("%s fits 24 columns", title).isLessThanOrEqualTo(24);
            if (!p.path("type").asText().equals("row")) {
                assertThat(p.path("datasource").path("uid").asText()).as("%s's datasource", title).isEqualTo("${datasource}");
                assertThat(p.path("targets")).as("%s's queries", title).isNotEmpty();
                for (JsonNode t : p.path("targets")) {
                    assertThat(t.path("expr").asText()).as("%s's query", title).isNotBlank();
                }
            }
        }
    }

    @Test
    void guardTripsAndHaltsAreAnnotationsAndTheVariablesAreDefined() throws IOException {
        JsonNode d = dashboard();
        List<String> annotations = new ArrayList<>();
        d.path("annotations").path("list").forEach(a -> annotations.add(a.path("name").asText()));
        assertThat(annotations).contains("Guard trips", "Halted or rolled back");
        List<String> variables = new ArrayList<>();
        d.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText()));
        assertThat(variables).containsExactly("datasource", "job", "instance", "key");
        // every $variable a query uses is defined (Grafana's own ones start with $__)
        for (DeployedQueries.Query q : DeployedQueries.dashboard()) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\$(\\w+)").matcher(q.expr());
            while (m.find()) {
                if (!m.group(1).startsWith("__")) {
                    assertThat(variables).as("variable $%s in %s", m.group(1), q.where()).contains(m.group(1));
                }
            }
        }
    }
}

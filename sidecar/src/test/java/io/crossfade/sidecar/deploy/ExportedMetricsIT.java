package io.crossfade.sidecar.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.sidecar.testing.EtcdCluster;
import io.crossfade.sidecar.testing.FleetSidecars;
import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric and label that the alert rules and the Grafana dashboard use is exported by a real
 * sidecar: one started in fleet mode (etcd) with the proxy on and a ramped migration, driven with reads
 * and outcomes so that the labelled series exist. A renamed metric or label fails here. (Grafana is
 * not installable on this machine, so the dashboard is checked through its queries, not rendered.)
 */
class ExportedMetricsIT {

    private static final String FILES = """
            settings:
              db.pool.size: { value: 10 }
            migrations:
              db.pool.size:
                to: 20
                percent: 10
                guard: { minSamples: 50, window: 5s, action: halt }
                steps: [ { percent: 10, hold: 1h }, { percent: 100 } ]
            """;

    @TempDir
    Path dir;

    @Test
    void everyMetricAndLabelTheRulesAndTheDashboardUseIsExported() throws Exception {
        Assumptions.assumeTrue(EtcdCluster.available(), "etcd is not installed (apt-get install etcd-server)");
        try (EtcdCluster etcd = EtcdCluster.start(dir.resolve("etcd"), 1);
                SidecarProcess sidecar = new FleetSidecars("alerts", FILES, etcd.endpoints()).start(dir.resolve("a"), "a",
                        "--proxy-listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9")) {
            // reads of both variants, and outcomes of both (old and new, ok and error)
            for (int i = 0; i < 200; i++) {
                assertThat(sidecar.get("/v1/settings/db.pool.size?unit=u" + i).statusCode()).isEqualTo(200);
            }
            assertThat(sidecar.post("/v1/outcomes", """
                    {"outcomes":[{"key":"db.pool.size","variant":"old","ok":50,"errors":1},
                                 {"key":"db.pool.size","variant":"new","ok":50,"errors":1}]}""").statusCode())
                    .isEqualTo(202);
            MetricsScrape scrape = await().atMost(Duration.ofSeconds(30)).until(
                    () -> MetricsScrape.parse(sidecar.getOps("/metrics").body()),
                    s -> s.has("crossfade_guard_evidence") && s.has("crossfade_fleet_judge")
                            && s.valueOrZero("crossfade_fleet_judge") == 1);

            List<DeployedQueries.Query> queries = new ArrayList<>(DeployedQueries.rules());
            assertThat(queries).hasSizeGreaterThan(10);
            // Grafana is not installable here (no Debian package): the dashboard's queries are checked
            // against the sidecar instead of being rendered; DashboardTest checks its structure.
            List<DeployedQueries.Query> dashboard = DeployedQueries.dashboard();
            assertThat(dashboard).hasSizeGreaterThan(20);
            queries.addAll(dashboard);
            assertThat(DeployedQueries.problems(queries, scrape, DeployedQueries.recorded()))
                    .as("metrics and labels the rules and the dashboard use, checked against the sidecar's /metrics")
                    .isEmpty();
        }
    }
}

package io.crossfade.sidecar.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crossfade.sidecar.testing.MetricsScrape;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PromQlNamesTest {

    @Test
    void readsSelectorsMatchersAndGroupingLabelsAndSkipsFunctionsDurationsAndVariables() {
        PromQlNames.Names names = PromQlNames.of("""
                (increase(crossfade_guard_trips_total{key=~"$key", action="halt"}[$__rate_interval]) > 0)
                  * on (job, instance, key) group_left (reason) crossfade_rollout_info
                or histogram_quantile(0.99, sum by (le) (rate(crossfade_read_duration_seconds_bucket[5m] offset 1h)))
                unless up""");
        assertThat(names.selectors()).extracting(PromQlNames.Selector::metric).containsExactly(
                "crossfade_guard_trips_total", "crossfade_rollout_info", "crossfade_read_duration_seconds_bucket", "up");
        assertThat(names.selectors().get(0).matchers()).isEqualTo(Map.of(
                "key", new PromQlNames.Matcher("=~", "$key"), "action", new PromQlNames.Matcher("=", "halt")));
        assertThat(names.groupingLabels()).containsExactlyInAnyOrder("job", "instance", "key", "reason", "le");
    }

    @Test
    void anUnterminatedSelectorIsAnErrorNamingTheExpression() {
        assertThatThrownBy(() -> PromQlNames.of("rate(crossfade_reads_total{key=\"a\"[5m])"))
                .hasMessageContaining("crossfade_reads_total{key=");
    }

    @Test
    void aRenamedMetricAWrongLabelAndAnUnknownValueAreProblems() {
        MetricsScrape scrape = MetricsScrape.parse("""
                crossfade_reads_total{key="a",variant="new"} 3
                crossfade_config_reloads_total{result="success"} 1
                """);
        List<DeployedQueries.Query> queries = List.of(
                new DeployedQueries.Query("rule A", "rate(crossfade_read_total[5m])"),
                new DeployedQueries.Query("rule B", "sum by (setting) (rate(crossfade_reads_total{varient=\"new\"}[5m]))"),
                new DeployedQueries.Query("rule C", "crossfade_config_reloads_total{result=\"failed\"}"),
                new DeployedQueries.Query("rule D", "sum by (job, key) (crossfade_reads_total{variant=\"new\"})"));
        assertThat(DeployedQueries.problems(queries, scrape, Map.of("crossfade:x", Set.of("job")))).containsExactly(
                "rule A: metric crossfade_read_total is not exported by the sidecar",
                "rule B: metric crossfade_reads_total has no label varient (it has [key, variant])",
                "rule B: grouping label setting is on none of the metrics it selects (they have [job, instance, key, variant])",
                "rule C: no series of crossfade_config_reloads_total has result=\"failed\"");
    }
}

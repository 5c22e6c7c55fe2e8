package io.crossfade.sidecar.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.crossfade.sidecar.testing.MetricsScrape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The PromQL in {@code deploy/} (the alert and recording rules, the Grafana dashboard) and the check
 * that each query names only metrics and labels a real sidecar exports.
 */
final class DeployedQueries {

    /** One query: where it is ({@code rule CrossfadeGuardTripped}, {@code panel "Reads"}) and its PromQL. */
    record Query(String where, String expr) {
    }

    /** Labels every scraped series gets from Prometheus itself. */
    static final Set<String> TARGET_LABELS = new java.util.LinkedHashSet<>(List.of("job", "instance"));

    /** Metrics from outside the sidecar that rules use, with the labels they have. */
    static final Map<String, Set<String>> EXTERNAL = Map.of(
            "up", Set.of(), // Prometheus' own, per scrape target
            "kube_pod_container_status_ready", Set.of("namespace", "pod", "container")); // kube-state-metrics

    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();

    private DeployedQueries() {
    }

    /** The repository's {@code deploy/} directory (tests run in the module's directory). */
    static Path deployDir() {
        for (Path p : List.of(Path.of("deploy"), Path.of("..", "deploy"))) {
            if (Files.isDirectory(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("no deploy/ directory next to " + Path.of("").toAbsolutePath());
    }

    static Path rulesFile() {
        return deployDir().resolve("prometheus/crossfade-rules.yaml");
    }

    static Path dashboardFile() {
        return deployDir().resolve("grafana/crossfade.json");
    }

    /** Every rule's expression, alerting and recording. */
    static List<Query> rules() throws IOException {
        List<Query> queries = new ArrayList<>();
        for (JsonNode group : YAML.readTree(rulesFile().toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String name = rule.has("alert") ? rule.get("alert").asText() : rule.path("record").asText();
                queries.add(new Query("rule " + name, rule.path("expr").asText()));
            }
        }
        return queries;
    }

    /** The recording rules' names, each with the labels its result has (its expression's grouping labels). */
    static Map<String, Set<String>> recorded() throws IOException {
        Map<String, Set<String>> recorded = new HashMap<>();
        for (JsonNode group : YAML.readTree(rulesFile().toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.has("record")) {
                    recorded.put(rule.get("record").asText(),
                            PromQlNames.of(rule.path("expr").asText()).groupingLabels());
                }
            }
        }
        return recorded;
    }

    /** Every query of the dashboard's panels (targets' {@code expr}) and of its annotations and variables. */
    static List<Query> dashboard() throws IOException {
        JsonNode root = JSON.readTree(dashboardFile().toFile());
        List<Query> queries = new ArrayList<>();
        panels(root.path("panels"), queries);
        for (JsonNode a : root.path("annotations").path("list")) {
            if (a.hasNonNull("expr")) {
                queries.add(new Query("annotation \"" + a.path("name").asText() + "\"", a.get("expr").asText()));
            }
        }
        for (JsonNode v : root.path("templating").path("list")) {
            String q = v.path("query").isObject() ? v.path("query").path("query").asText(null) : v.path("query").asText(null);
            if ("query".equals(v.path("type").asText()) && q != null) {
                // label_values(metric, label) names a metric and a label
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("label_values\\((.*),\\s*(\\w+)\\)").matcher(q);
                if (m.matches()) {
                    queries.add(new Query("variable $" + v.path("name").asText(),
                            "count by (" + m.group(2) + ") (" + m.group(1) + ")"));
                } else {
                    queries.add(new Query("variable $" + v.path("name").asText(), q));
                }
            }
        }
        return queries;
    }

    private static void panels(JsonNode panels, List<Query> out) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                if (target.hasNonNull("expr")) {
                    out.add(new Query("panel \"" + panel.path("title").asText() + "\"", target.get("expr").asText()));
                }
            }
            panels(panel.path("panels"), out); // collapsed rows keep their panels inside
        }
    }

    /**
     * What is wrong with {@code queries} against {@code scrape}: a metric the sidecar does not export,
     * a label none of its series has, a label value none has (for {@code =} matchers), a grouping
     * label no selected metric has. Empty when everything is exported.
     */
    static List<String> problems(List<Query> queries, MetricsScrape scrape, Map<String, Set<String>> recorded) {
        List<String> problems = new ArrayList<>();
        for (Query q : queries) {
            PromQlNames.Names names;
            try {
                names = PromQlNames.of(q.expr());
            } catch (IllegalArgumentException e) {
                problems.add(q.where() + ": " + e.getMessage());
                continue;
            }
            Set<String> available = new LinkedHashSet<>(TARGET_LABELS);
            for (PromQlNames.Selector s : names.selectors()) {
                Set<String> labels = labelsOf(s.metric(), scrape, recorded);
                if (labels == null) {
                    problems.add(q.where() + ": metric " + s.metric() + " is not exported by the sidecar"
                            + (s.metric().contains(":") ? " nor recorded by a rule" : ""));
                    continue;
                }
                available.addAll(labels);
                for (Map.Entry<String, PromQlNames.Matcher> m : s.matchers().entrySet()) {
                    String label = m.getKey();
                    if (TARGET_LABELS.contains(label) || "__name__".equals(label)) {
                        continue;
                    }
                    if (!labels.contains(label)) {
                        problems.add(q.where() + ": metric " + s.metric() + " has no label " + label + " (it has "
                                + labels + ")");
                    } else if (m.getValue().op().equals("=") && !m.getValue().value().contains("$")
                            && scrape.has(s.metric()) && scrape.samples(s.metric()).stream()
                                    .noneMatch(x -> m.getValue().value().equals(x.labels().get(label)))) {
                        problems.add(q.where() + ": no series of " + s.metric() + " has " + label + "=\""
                                + m.getValue().value() + "\"");
                    }
                }
            }
            for (String label : names.groupingLabels()) {
                if (!available.contains(label)) {
                    problems.add(q.where() + ": grouping label " + label + " is on none of the metrics it selects "
                            + "(they have " + available + ")");
                }
            }
        }
        return problems;
    }

    /** The label names of {@code metric}'s series, or null when nothing exports or records it. */
    private static Set<String> labelsOf(String metric, MetricsScrape scrape, Map<String, Set<String>> recorded) {
        if (recorded.containsKey(metric)) {
            return recorded.get(metric);
        }
        if (EXTERNAL.containsKey(metric)) {
            return EXTERNAL.get(metric);
        }
        if (!scrape.has(metric)) {
            return null;
        }
        Set<String> labels = new LinkedHashSet<>();
        scrape.samples(metric).forEach(s -> labels.addAll(s.labels().keySet()));
        return labels;
    }
}

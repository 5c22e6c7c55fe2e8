package io.crossfade.sidecar.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.crossfade.sidecar.cli.ServeCommand;
import io.crossfade.sidecar.logging.LogSetup;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Option;

/**
 * The Kubernetes manifests in {@code deploy/kubernetes/} checked against what they deploy: the
 * Dockerfile (user, ports, directories), {@code crossfade serve}'s flags and their
 * {@code CROSSFADE_<FLAG>} variables, the sidecar's health paths, the README's memory figures and the
 * alert rules. No cluster is available here, so the manifests are parsed, not applied: a renamed flag,
 * port or path breaks this test instead of a rollout.
 */
class ManifestsTest {

    private static final ObjectMapper YAML = new YAMLMapper();
    private static Map<String, JsonNode> byKindAndName;
    private static JsonNode deployment;
    private static JsonNode fleetDeployment;
    private static String dockerfile;

    @BeforeAll
    static void parse() throws IOException {
        byKindAndName = new LinkedHashMap<>();
        Path dir = DeployedQueries.deployDir().resolve("kubernetes");
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (var parser = new YAMLFactory().createParser(f.toFile())) {
                    for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
                        String id = dir.relativize(f.getParent()) + "/" + doc.path("kind").asText() + "/"
                                + doc.at("/metadata/name").asText();
                        assertThat(byKindAndName.put(id.startsWith("/") ? id.substring(1) : id, doc))
                                .as("%s appears once", id).isNull();
                    }
                }
            }
        }
        deployment = manifest("Deployment/checkout");
        fleetDeployment = manifest("fleet/Deployment/checkout");
        dockerfile = Files.readString(DeployedQueries.deployDir().getParent().resolve("Dockerfile"));
    }

    private static JsonNode manifest(String id) {
        assertThat(byKindAndName).as("manifests").containsKey(id);
        return byKindAndName.get(id);
    }

    private static JsonNode container(JsonNode deployment, String name) {
        for (JsonNode c : deployment.at("/spec/template/spec/containers")) {
            if (c.path("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no container " + name + " in " + deployment.at("/metadata/name"));
    }

    private static Map<String, JsonNode> env(JsonNode container) {
        Map<String, JsonNode> env = new LinkedHashMap<>();
        container.path("env").forEach(e -> env.put(e.path("name").asText(), e));
        return env;
    }

    /** {@code crossfade serve}'s flags, each with the variable its default reads. */
    private static Map<String, String> flagVariables() {
        Map<String, String> vars = new LinkedHashMap<>();
        Pattern env = Pattern.compile("\\$\\{env:([A-Z0-9_]+)");
        for (Field f : ServeCommand.class.getDeclaredFields()) {
            Option o = f.getAnnotation(Option.class);
            if (o != null) {
                Matcher m = env.matcher(o.defaultValue());
                assertThat(m.find()).as("%s reads an environment variable", o.names()[0]).isTrue();
                vars.put(o.names()[0], m.group(1));
            }
        }
        return vars;
    }

    /** The Dockerfile's {@code ENV NAME=value} pairs. */
    private static Map<String, String> dockerEnv() {
        Map<String, String> env = new HashMap<>();
        // ENV instructions only (with their continuation lines), not comments that show other values
        Matcher instruction = Pattern.compile("(?m)^ENV ((?:.*\\\\\n)*.*)$").matcher(dockerfile);
        while (instruction.find()) {
            Matcher m = Pattern.compile("(CROSSFADE_[A-Z_]+)=(\\S+)").matcher(instruction.group(1));
            while (m.find()) {
                env.put(m.group(1), m.group(2));
            }
        }
        assertThat(env).as("the Dockerfile's ENV").containsKeys("CROSSFADE_LISTEN", "CROSSFADE_OPS_LISTEN");
        return env;
    }

    private static int port(String hostPort) {
        return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    }

    @Test
    void everyFlagReadsTheVariableNamedAfterIt() {
        flagVariables().forEach((flag, variable) -> assertThat(variable).as("variable of %s", flag)
                .isEqualTo("CROSSFADE_" + flag.substring(2).toUpperCase(java.util.Locale.ROOT).replace('-', '_')));
    }

    @Test
    void theSidecarsVariablesAreOnesItReads() {
        Set<String> known = new java.util.HashSet<>(flagVariables().values());
        known.add(LogSetup.FORMAT_VARIABLE);
        known.add("CROSSFADE_JAVA_OPTS"); // the image's entrypoint appends it to the JVM's flags
        assertThat(dockerfile).contains("$CROSSFADE_JAVA_OPTS");
        for (JsonNode d : List.of(deployment, fleetDeployment)) {
            assertThat(env(container(d, "crossfade")).keySet()).as("variables of the crossfade container")
                    .allSatisfy(name -> assertThat(known).as("variables crossfade serve reads").contains(name));
        }
    }

    @Test
    void thePodRunsAsTheImagesUser() {
        Matcher user = Pattern.compile("useradd[^\\n]*--uid (\\d+)").matcher(dockerfile);
        Matcher group = Pattern.compile("groupadd[^\\n]*--gid (\\d+)").matcher(dockerfile);
        assertThat(user.find() && group.find()).as("the Dockerfile creates its user and group").isTrue();
        assertThat(dockerfile).contains("\nUSER crossfade\n");
        for (JsonNode d : List.of(deployment, fleetDeployment)) {
            JsonNode security = d.at("/spec/template/spec/securityContext");
            assertThat(security.path("runAsUser").asText()).isEqualTo(user.group(1));
            assertThat(security.path("runAsGroup").asText()).isEqualTo(group.group(1));
            assertThat(security.path("fsGroup").asText()).as("state volume writable by the image's group")
                    .isEqualTo(group.group(1));
            assertThat(security.path("runAsNonRoot").asBoolean()).isTrue();
        }
    }

    @Test
    void portsDirectoriesAndTheAppsUrlMatchTheImageAndTheFlags() {
        Map<String, String> image = dockerEnv();
        assertThat(dockerfile).contains("EXPOSE " + port(image.get("CROSSFADE_LISTEN")) + " "
                + port(image.get("CROSSFADE_OPS_LISTEN")));
        for (JsonNode d : List.of(deployment, fleetDeployment)) {
            JsonNode crossfade = container(d, "crossfade");
            Map<String, JsonNode> env = env(crossfade);
            String ops = env.containsKey("CROSSFADE_OPS_LISTEN") ? env.get("CROSSFADE_OPS_LISTEN").path("value").asText()
                    : image.get("CROSSFADE_OPS_LISTEN");
            String read = env.containsKey("CROSSFADE_LISTEN") ? env.get("CROSSFADE_LISTEN").path("value").asText()
                    : image.get("CROSSFADE_LISTEN");
            assertThat(ops).as("ops listener reachable from outside the pod").startsWith("0.0.0.0:");
            assertThat(read).as("read listener on loopback: it never leaves the pod").startsWith("127.0.0.1:");
            assertThat(crossfade.at("/ports/0/name").asText()).isEqualTo("ops");
            assertThat(crossfade.at("/ports/0/containerPort").asInt()).isEqualTo(port(ops));
            assertThat(env(container(d, "app")).get("CROSSFADE_URL").path("value").asText())
                    .isEqualTo("http://127.0.0.1:" + port(read));

            Map<String, String> mounts = new HashMap<>();
            crossfade.path("volumeMounts").forEach(m -> mounts.put(m.path("name").asText(), m.path("mountPath").asText()));
            assertThat(mounts.get("settings")).isEqualTo(image.get("CROSSFADE_SETTINGS"))
                    .isEqualTo(env.get("CROSSFADE_SETTINGS").path("value").asText());
            assertThat(mounts.get("crossfade-state")).isEqualTo(image.get("CROSSFADE_STATE"))
                    .isEqualTo(env.get("CROSSFADE_STATE").path("value").asText());
            assertThat(dockerfile).contains("VOLUME " + image.get("CROSSFADE_STATE"));
            assertThat(d.at("/spec/template/spec/volumes/0/configMap/name").asText())
                    .isEqualTo(manifest("ConfigMap/checkout-settings").at("/metadata/name").asText());
        }
    }

    @Test
    void probesAskTheHealthPathsTheSidecarServesOnItsOpsPort() throws IOException {
        String health = Files.readString(DeployedQueries.deployDir().getParent()
                .resolve("sidecar/src/main/java/io/crossfade/sidecar/health/HealthEndpoints.java"));
        for (JsonNode d : List.of(deployment, fleetDeployment)) {
            JsonNode c = container(d, "crossfade");
            for (String[] probe : new String[][] {{"readinessProbe", "/ready"}, {"livenessProbe", "/health"},
                    {"startupProbe", "/health"}}) {
                JsonNode get = c.path(probe[0]).path("httpGet");
                assertThat(get.path("path").asText()).as(probe[0]).isEqualTo(probe[1]);
                assertThat(get.path("port").asText()).as(probe[0] + " port").isEqualTo("ops");
                assertThat(health).as("HealthEndpoints serves " + probe[1]).contains("\"" + probe[1] + "\"");
            }
        }
    }

    @Test
    void resourcesAreTheReadmesMemoryFigures() throws IOException {
        // the README's memory section, or the docs page it may move to
        Path root = DeployedQueries.deployDir().getParent();
        StringBuilder text = new StringBuilder(Files.readString(root.resolve("README.md")));
        try (Stream<Path> docs = Files.walk(root.resolve("docs"))) {
            for (Path doc : docs.filter(p -> p.toString().endsWith(".md")).toList()) {
                text.append('\n').append(Files.readString(doc));
            }
        }
        Matcher m = Pattern.compile("Request (\\d+Mi) and set\\s+the limit at \\*\\*(\\d+Mi)\\*\\*").matcher(text);
        assertThat(m.find()).as("the README's memory section (\"Request 176Mi and set the limit at **256Mi**\")"
                + " says what to request and limit").isTrue();
        for (JsonNode d : List.of(deployment, fleetDeployment)) {
            JsonNode resources = container(d, "crossfade").path("resources");
            assertThat(resources.at("/requests/memory").asText()).isEqualTo(m.group(1));
            assertThat(resources.at("/limits/memory").asText()).isEqualTo(m.group(2));
        }
    }

    @Test
    void theServiceMonitorScrapesMetricsOnTheOpsPortOfThePods() throws IOException {
        JsonNode service = manifest("Service/checkout-crossfade");
        JsonNode monitor = manifest("ServiceMonitor/checkout-crossfade");
        assertThat(service.at("/metadata/name").asText()).as("CrossfadeSidecarDown matches job names with crossfade")
                .contains("crossfade");
        JsonNode podLabels = deployment.at("/spec/template/metadata/labels");
        service.at("/spec/selector").fields().forEachRemaining(e ->
                assertThat(podLabels.path(e.getKey()).asText()).as("pod label %s", e.getKey()).isEqualTo(e.getValue().asText()));
        monitor.at("/spec/selector/matchLabels").fields().forEachRemaining(e ->
                assertThat(service.at("/metadata/labels").path(e.getKey()).asText()).isEqualTo(e.getValue().asText()));
        assertThat(service.at("/spec/ports/0/targetPort").asText()).isEqualTo("ops");
        assertThat(monitor.at("/spec/endpoints/0/port").asText()).isEqualTo(service.at("/spec/ports/0/name").asText());
        assertThat(monitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/metrics");
        String metrics = Files.readString(DeployedQueries.deployDir().getParent()
                .resolve("sidecar/src/main/java/io/crossfade/sidecar/metrics/MetricsEndpoint.java"));
        assertThat(metrics).contains("\"/metrics\"");
    }

    @Test
    void thePrometheusRuleHoldsExactlyTheRulesFile() throws IOException {
        JsonNode rule = manifest("PrometheusRule/crossfade");
        JsonNode rules = YAML.readTree(DeployedQueries.rulesFile().toFile());
        assertThat(rule.at("/spec/groups")).as("prometheusrule.yaml is stale: run deploy/kubernetes/build-prometheusrule")
                .isEqualTo(rules.path("groups"));
    }

    @Test
    void notificationsComeFromAnOptionalSecretThatIsDefined() {
        JsonNode secret = manifest("Secret/checkout-crossfade-notify");
        for (JsonNode d : List.of(deployment, fleetDeployment)) {
            JsonNode ref = env(container(d, "crossfade")).get("CROSSFADE_NOTIFY_URL").at("/valueFrom/secretKeyRef");
            assertThat(ref.path("name").asText()).isEqualTo(secret.at("/metadata/name").asText());
            assertThat(secret.path("stringData").has(ref.path("key").asText())).isTrue();
            assertThat(ref.path("optional").asBoolean()).as("no Secret, no notifications; the pod still starts").isTrue();
        }
    }

    @Test
    void theFleetVariantSharesOneEtcdRolloutWithThePodNameAsInstanceId() {
        Map<String, JsonNode> env = env(container(fleetDeployment, "crossfade"));
        assertThat(env.get("CROSSFADE_STORE").path("value").asText()).isEqualTo("etcd");
        assertThat(env.get("CROSSFADE_ETCD_ENDPOINTS").path("value").asText()).matches("https?://[^,]+(,https?://[^,]+)*");
        assertThat(env.get("CROSSFADE_FLEET").path("value").asText()).isNotBlank();
        assertThat(env.get("CROSSFADE_INSTANCE_ID").at("/valueFrom/fieldRef/fieldPath").asText()).isEqualTo("metadata.name");
        assertThat(fleetDeployment.at("/spec/replicas").asInt()).isGreaterThan(1);
        // one admin token for the fleet, from the Secret, where the variable points
        String tokenFile = env.get("CROSSFADE_ADMIN_TOKEN_FILE").path("value").asText();
        JsonNode secret = manifest("fleet/Secret/checkout-crossfade-admin");
        List<String> mounted = new ArrayList<>();
        container(fleetDeployment, "crossfade").path("volumeMounts").forEach(m -> {
            if (m.path("name").asText().equals("admin-token")) {
                mounted.add(m.path("mountPath").asText());
            }
        });
        assertThat(mounted).hasSize(1);
        assertThat(tokenFile).startsWith(mounted.get(0) + "/");
        assertThat(secret.path("stringData").has(tokenFile.substring(mounted.get(0).length() + 1))).isTrue();
        for (JsonNode v : fleetDeployment.at("/spec/template/spec/volumes")) {
            if (v.path("name").asText().equals("admin-token")) {
                assertThat(v.at("/secret/secretName").asText()).isEqualTo(secret.at("/metadata/name").asText());
            }
        }
        // Deployment, ConfigMap, PVC, Service, ServiceMonitor, PrometheusRule all present
        assertThat(byKindAndName.keySet()).contains("PersistentVolumeClaim/checkout-crossfade-state");
    }
}

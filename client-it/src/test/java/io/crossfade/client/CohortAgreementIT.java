package io.crossfade.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every reader places every unit alike with cohorts: the sidecar's read API, OFREP, the Java client
 * and the Python client ({@code clients/python}, run by Debian's {@code /usr/bin/python3}), over a few
 * thousand units across cohort hits (named, inline, prefixed, in a cohort file, in both lists), misses
 * and the percent.
 */
class CohortAgreementIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String KEY = "db.pool.size";
    private static final String SETTINGS = """
            settings:
              db.pool.size: { value: 10 }
            cohorts:
              staff: { units: [alice, bob, carol], prefixes: ["staff-"] }
              frozen: { file: frozen-tenants.txt }
            migrations:
              db.pool.size:
                to: 20
                percent: 30
                include: [staff, dave]
                exclude: [frozen, tenant-42]
            """;

    @TempDir
    Path settings;
    @TempDir
    Path state;

    private SidecarProcess sidecar;
    private CrossfadeClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (sidecar != null) {
            sidecar.close();
        }
    }

    private void write(String name, String content) throws Exception {
        Path temp = settings.resolve("." + name + ".tmp");
        Files.writeString(temp, content);
        Files.move(temp, settings.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static List<String> units() {
        List<String> units = new ArrayList<>(List.of("alice", "bob", "carol", "dave", "tenant-42", "acme", "globex",
                "staff-frozen-1", "staff-x", "staff-", "staf", "zed"));
        for (int i = 0; i < 40; i++) {
            units.add("staff-" + i);
        }
        for (int i = 0; i < 2950; i++) {
            units.add("user-" + i);
        }
        return units;
    }

    @Test
    void theReadApiOfrepAndBothClientsPlaceEveryUnitAlike() throws Exception {
        write("frozen-tenants.txt", "# contract freeze\nacme\nglobex\ncarol\n");
        write("app.yaml", SETTINGS.replace("prefixes: [\"staff-\"]", "prefixes: [\"staff-\"]")
                .replace("frozen: { file: frozen-tenants.txt }", "frozen: { file: frozen-tenants.txt, prefixes: [staff-frozen] }"));
        sidecar = SidecarProcess.start(settings, state);
        client = CrossfadeClient.builder().endpoint(sidecar.readUri()).build();
        assertThat(client.awaitReady(Duration.ofSeconds(30))).isTrue();

        List<String> units = units();
        Map<String, String> python = python(units);
        int hits = 0;
        int splitNew = 0;
        for (String unit : units) {
            String q = URLEncoder.encode(unit, StandardCharsets.UTF_8);
            JsonNode read = MAPPER.readTree(sidecar.get("/v1/settings/" + KEY + "?unit=" + q).body());
            String variant = read.get("variant").asText();
            JsonNode ofrep = MAPPER.readTree(sidecar.post("/ofrep/v1/evaluate/flags/" + KEY,
                    "{\"context\":{\"targetingKey\":" + MAPPER.writeValueAsString(unit) + "}}").body());
            Variant java = client.details(KEY, unit).variant();
            assertThat(ofrep.get("variant").asText()).as("OFREP for %s", unit).isEqualTo(variant);
            assertThat(java.wireName()).as("Java client for %s", unit).isEqualTo(variant);
            assertThat(python.get(unit)).as("Python client for %s", unit).startsWith(variant + " ");
            boolean cohort = !read.get("placement").asText().equals("percent");
            assertThat(ofrep.get("reason").asText()).as(unit).isEqualTo(cohort ? "TARGETING_MATCH" : "SPLIT");
            assertThat(python.get(unit)).as(unit).endsWith(cohort ? " TARGETING_MATCH" : " SPLIT");
            if (cohort) {
                hits++;
            } else if (variant.equals("new")) {
                splitNew++;
            }
        }
        assertThat(hits).isGreaterThan(45);
        assertThat(splitNew).as("the percent still splits the rest").isBetween(700, 1100);

        // the order, as the read API names it
        assertThat(read("alice")).isEqualTo("new included staff");
        assertThat(read("carol")).as("exclude wins").isEqualTo("old excluded frozen");
        assertThat(read("staff-frozen-1")).isEqualTo("old excluded frozen");
        assertThat(read("dave")).isEqualTo("new included null");
        assertThat(read("tenant-42")).isEqualTo("old excluded null");
        JsonNode ofrepAlice = MAPPER.readTree(sidecar.post("/ofrep/v1/evaluate/flags/" + KEY,
                "{\"context\":{\"targetingKey\":\"alice\"}}").body());
        assertThat(ofrepAlice.at("/metadata/cohort").asText()).isEqualTo("staff");
    }

    @Test
    void anEditedCohortFileIsReloadedLikeTheSettings() throws Exception {
        write("frozen-tenants.txt", "acme\n");
        write("app.yaml", SETTINGS);
        sidecar = SidecarProcess.start(settings, state);
        assertThat(read("acme")).isEqualTo("old excluded frozen");
        assertThat(read("user-1")).isEqualTo("new percent null");
        write("frozen-tenants.txt", "user-1\n");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(read("user-1")).isEqualTo("old excluded frozen"));
        assertThat(read("acme")).doesNotStartWith("old excluded");
        // a broken cohort file is refused whole: the last good placement stays
        write("frozen-tenants.txt", "x".repeat(300) + "\n");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(sidecar.getOps("/ready").body())
                .contains("frozen-tenants.txt:1").contains("longer than 256 bytes"));
        assertThat(read("user-1")).isEqualTo("old excluded frozen");
    }

    /** "variant placement cohort" from the read API. */
    private String read(String unit) throws Exception {
        HttpResponse<String> r = sidecar.get("/v1/settings/" + KEY + "?unit=" + URLEncoder.encode(unit, StandardCharsets.UTF_8));
        JsonNode doc = MAPPER.readTree(r.body());
        return doc.get("variant").asText() + " " + doc.get("placement").asText() + " " + doc.get("cohort").asText();
    }

    /** "variant reason" per unit, as the Python client resolves it from the sidecar's snapshot. */
    private Map<String, String> python(List<String> units) throws Exception {
        Path repo = Path.of("").toAbsolutePath().getParent();
        Path unitsFile = state.resolve("units.json");
        Files.writeString(unitsFile, MAPPER.writeValueAsString(units));
        String script = String.join("\n",
                "import json, sys, urllib.request",
                "from crossfade.snapshot import Snapshot",
                "s = Snapshot.parse(urllib.request.urlopen(sys.argv[1] + '/v1/snapshot').read())",
                "m = s.migrations['" + KEY + "']",
                "out = {u: m.variant(u) + ' ' + m.reason(u) for u in json.load(open(sys.argv[2]))}",
                "print(json.dumps(out))");
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", "-c", script, sidecar.readUri().toString().replaceAll("/$", ""),
                unitsFile.toString());
        pb.environment().put("PYTHONPATH", repo.resolve("clients/python/src").toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isZero();
        Map<String, String> result = new HashMap<>();
        MAPPER.readTree(text).fields().forEachRemaining(e -> result.put(e.getKey(), e.getValue().asText()));
        return result;
    }
}

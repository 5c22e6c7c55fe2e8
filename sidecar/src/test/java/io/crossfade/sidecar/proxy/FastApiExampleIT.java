package io.crossfade.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.ApiAnswers;
import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The FastAPI example of {@code examples/fastapi/}, both forms, against the real sidecar: a
 * migration of {@code checkout.price_format} to a value the app cannot use is rolled to 30 %, users
 * shop, and the guard must halt the migration while the users on the old value never see an error.
 * The example's own settings file is served (guard {@code minSamples: 20}); the test relies only on
 * "the guard halts a migration whose new value fails every request".
 */
@Tag("slow") // two real apps and two sidecars, a minute or more on a loaded machine: run by -Pslow (.ci/run)
class FastApiExampleIT {

    private static final String KEY = "checkout.price_format";
    private static final int USERS = 200;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path settings;

    @TempDir
    Path state;

    @TempDir
    Path work;

    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
    }

    @Test
    void behindTheProxyTheGuardHaltsAFailingMigrationAndOldUnitsNeverSeeAnError() throws Exception {
        SettingsFiles.copyDirectory(PythonApp.exampleDir().resolve("settings"), settings);
        PythonApp app = started(PythonApp.start("proxied_app", Map.of(), work));
        SidecarProcess sidecar = started(SidecarProcess.start(settings, state, "--proxy-listen", "127.0.0.1:0",
                "--upstream", app.uri().toString(), "--inject", "checkout.*"));

        shopUntilHalted(sidecar, ProxyAddress.of(sidecar), app);

        MetricsScrape metrics = MetricsScrape.parse(sidecar.getOps("/metrics").body());
        assertThat(metrics.valueOrZero("crossfade_outcomes_total", "key", KEY, "variant", "new", "result", "error",
                "source", "proxy")).isGreaterThan(0);
        assertThat(metrics.valueOrZero("crossfade_outcomes_total", "key", KEY, "variant", "old", "result", "error",
                "source", "proxy")).isZero();
        assertThat(metrics.valueOrZero("crossfade_proxy_requests_total", "status_class", "5xx")).isGreaterThan(0);
    }

    @Test
    void directWithReadsAndTheOutcomeMiddlewareTheGuardHaltsAFailingMigrationAndOldUnitsNeverSeeAnError()
            throws Exception {
        SettingsFiles.copyDirectory(PythonApp.exampleDir().resolve("settings"), settings);
        SidecarProcess sidecar = started(SidecarProcess.start(settings, state));
        PythonApp app = started(PythonApp.start("direct_app", Map.of("CROSSFADE_URL", sidecar.readUri().toString()),
                work));

        shopUntilHalted(sidecar, app.uri(), app);

        MetricsScrape metrics = MetricsScrape.parse(sidecar.getOps("/metrics").body());
        assertThat(metrics.valueOrZero("crossfade_outcomes_total", "key", KEY, "variant", "new", "result", "error",
                "source", "api")).isGreaterThan(0);
        assertThat(metrics.valueOrZero("crossfade_outcomes_total", "key", KEY, "variant", "old", "result", "error",
                "source", "api")).isZero();
    }

    /**
     * Rolls the migration to 30 %, then sends each user's checkout through {@code entry} until the
     * guard halts it; asserts that no user on the old value ever got anything but a correct page.
     */
    private void shopUntilHalted(SidecarProcess sidecar, URI entry, PythonApp app) throws Exception {
        HttpResponse<String> set = sidecar.adminPost("/admin/v1/migrations/" + KEY + "/percent",
                "{\"percent\": 30, \"reason\": \"roll the new price format to 30 %\"}");
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        // the side of each user at 30 %, from the read API; a halt freezes the percent, so it holds
        boolean[] onNew = new boolean[USERS];
        int newUsers = 0;
        for (int u = 0; u < USERS; u++) {
            JsonNode read = ApiAnswers.json(sidecar.get("/v1/settings/" + KEY + "?unit=user-" + u));
            onNew[u] = read.get("variant").asText().equals("new");
            newUsers += onNew[u] ? 1 : 0;
        }
        assertThat(newUsers).as("users on the new value at 30 %").isBetween(20, 120);

        List<String> oldUserFailures = new ArrayList<>();
        int newUserErrors = 0;
        int sent = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        boolean halted = false;
        while (!halted && System.nanoTime() < deadline && sent < 20_000) {
            for (int i = 0; i < 20; i++, sent++) {
                int u = sent % USERS;
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(entry.resolve("/checkout"))
                        .header("X-User-Id", "user-" + u).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (onNew[u]) {
                    newUserErrors += r.statusCode() >= 500 ? 1 : 0;
                } else if (r.statusCode() != 200 || !r.body().contains("\"total\":\"16.49\"")) {
                    oldUserFailures.add("user-" + u + ": " + r.statusCode() + " " + r.body());
                }
            }
            halted = state(sidecar).equals("halted");
        }
        assertThat(halted).as("the guard halted the migration after %d requests; app log:%n%s", sent, app.output())
                .isTrue();
        assertThat(oldUserFailures).as("answers to users on the old value").isEmpty();
        assertThat(newUserErrors).as("errors of users on the new value").isPositive();
        JsonNode migration = ApiAnswers.json(sidecar.adminGet("/admin/v1/migrations/" + KEY));
        assertThat(migration.at("/state/reason").asText()).startsWith("guard tripped");
    }

    private static String state(SidecarProcess sidecar) {
        return ApiAnswers.json(sidecar.adminGet("/admin/v1/migrations/" + KEY)).at("/state/state").asText();
    }

    private <T extends AutoCloseable> T started(T thing) {
        running.add(thing);
        return thing;
    }
}

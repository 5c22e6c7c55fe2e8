package io.crossfade.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.ApiAnswers;
import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proxy mode's start and reload rules against the real jar: flags that do not fit are refused, the
 * 8 KiB limit of {@code X-Crossfade-Settings} stops a start and rejects a reload, and an upstream
 * that is not there gets 502 in the error shape.
 */
class ProxyStartIT {

    private static final String SMALL = """
            settings:
              checkout.banner: { value: "short" }
            migrations:
              checkout.banner: { to: "also short", percent: 50 }
            """;

    @TempDir
    Path settings;

    @TempDir
    Path state;

    private static String big(int bytes) {
        return """
                settings:
                  checkout.banner: { value: "short" }
                  checkout.terms: { value: "%s" }
                """.formatted("t".repeat(bytes));
    }

    @Test
    void settingsOverEightKibibytesStopTheStartWithAClearMessage() {
        SettingsFiles.write(settings, "checkout.yaml", big(9000));
        SidecarProcess.Result result = SidecarProcess.run(Duration.ofSeconds(120), "serve", "--settings",
                settings.toString(), "--state", state.toString(), "--listen", "127.0.0.1:0", "--ops-listen",
                "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9", "--inject", "checkout.*");
        assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
        assertThat(result.output()).contains("X-Crossfade-Settings").contains("8 KiB").contains("checkout.terms")
                .contains("--inject checkout.*");
    }

    /** One run of the jar; the other flag rules are {@code ProxyOptionsTest}'s. */
    @Test
    void proxyListenWithoutUpstreamIsAUsageError() {
        SidecarProcess.Result noUpstream = SidecarProcess.run(Duration.ofSeconds(120), "serve", "--proxy-listen",
                "127.0.0.1:0");
        assertThat(noUpstream.exitCode()).isEqualTo(2);
        assertThat(noUpstream.output()).contains("--upstream");
    }

    @Test
    void aReloadThatWouldOverflowTheHeaderIsRejectedAndAMissingUpstreamGets502() throws Exception {
        SettingsFiles.write(settings, "checkout.yaml", SMALL);
        int deadPort = PythonApp.freePort();
        try (SidecarProcess sidecar = SidecarProcess.start(settings, state, Map.of("CROSSFADE_PROXY_LISTEN",
                "127.0.0.1:0", "CROSSFADE_UPSTREAM", "http://127.0.0.1:" + deadPort, "CROSSFADE_INJECT", "checkout.*"))) {
            URI proxy = ProxyAddress.of(sidecar);

            HttpResponse<String> refused = SidecarProcess.send(HttpRequest.newBuilder(proxy.resolve("/anything"))
                    .header("X-User-Id", "user-1").build());
            String message = ApiAnswers.assertError(refused, 502, "unavailable");
            // words, not the transport's internals; the detail is in the log
            assertThat(message).isEqualTo("the upstream at 127.0.0.1:" + deadPort + " refused the connection");
            assertThat(sidecar.output()).anyMatch(l -> l.contains("refused the connection (")
                    && l.contains("Connection refused"));
            MetricsScrape metrics = MetricsScrape.parse(sidecar.getOps("/metrics").body());
            assertThat(metrics.valueOrZero("crossfade_proxy_upstream_errors_total", "kind", "refused")).isPositive();
            await().atMost(Duration.ofSeconds(30)).until(() -> MetricsScrape.parse(sidecar.getOps("/metrics").body())
                    .valueOrZero("crossfade_outcomes_total", "key", "checkout.banner", "result", "error",
                            "source", "proxy") >= 1);

            SettingsFiles.write(settings, "checkout.yaml", big(9000));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode ready = ApiAnswers.json(sidecar.getOps("/ready"));
                assertThat(ready.at("/source/reloadError").toString()).contains("X-Crossfade-Settings");
            });
            assertThat(sidecar.get("/v1/settings/checkout.terms").statusCode()).as("the reload was rejected whole")
                    .isEqualTo(404);
            assertThat(MetricsScrape.parse(sidecar.getOps("/metrics").body())
                    .valueOrZero("crossfade_config_reloads_total", "result", "failure")).isPositive();
        }
    }
}

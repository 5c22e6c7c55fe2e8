package io.crossfade.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.ApiAnswers;
import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.RawHttp;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy between a real sidecar and a hostile upstream that writes raw bytes
 * ({@link HostileUpstream}), with settings whose values hold bytes no HTTP header may carry: every
 * request gets its final answer, within {@code --upstream-timeout}, and every failure is counted.
 */
class HostileUpstreamIT {

    /** DEL (0x7F) and a control character in values, in a key inside a value, and in a migration's {@code to}. */
    private static final String SETTINGS = """
            settings:
              hostile.text: { value: "a\\x7Fb" }
              hostile.map: { value: { "k\\x7Fey": "v\\x01" } }
              hostile.ramp: { value: "plain" }
            migrations:
              hostile.ramp:
                to: "new\\x7Fvalue"
                percent: 50
                guard: { minSamples: 1000000, window: 60s, action: halt }
            """;

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    static Path settings;

    @TempDir
    static Path state;

    private static HostileUpstream upstream;
    private static SidecarProcess sidecar;
    private static URI proxy;

    @BeforeAll
    static void start() throws Exception {
        upstream = new HostileUpstream()
                .answer("/processing", "HTTP/1.1 102 Processing\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal")
                .answer("/many-interim", "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 199 Whatever\r\nX-Step: 1\r\n\r\n"
                        + "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                        + "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone")
                .answer("/status-600", "HTTP/1.1 600 Beyond\r\nContent-Length: 2\r\n\r\nno")
                .answer("/status-999", "HTTP/1.1 999 Beyond\r\nContent-Length: 2\r\n\r\nno")
                .answer("/bad-header-del", "HTTP/1.1 200 OK\r\nX-Bad: a\u007fb\r\nContent-Length: 2\r\n\r\nok")
                .answer("/bad-header-ctl", "HTTP/1.1 200 OK\r\nX-Bad: a\u0001b\r\nContent-Length: 2\r\n\r\nok")
                .answer("/bad-header-latin", "HTTP/1.1 200 OK\r\nX-Bad: a\u00ffb\r\nContent-Length: 2\r\n\r\nok")
                .answer("/status-099", "HTTP/1.1 099 Below\r\nContent-Length: 2\r\n\r\nno");
        SettingsFiles.write(settings, "hostile.yaml", SETTINGS);
        sidecar = SidecarProcess.start(settings, state, "--instance-id", "hostile-it", "--proxy-listen", "127.0.0.1:0",
                "--upstream", upstream.uri().toString(), "--inject", "hostile.*", "--upstream-timeout", "3s");
        proxy = ProxyAddress.of(sidecar);
    }

    @AfterAll
    static void stop() throws Exception {
        if (sidecar != null) {
            sidecar.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    // ---- a byte no header may carry ----

    @Test
    void delAndControlBytesInValuesAndKeysAreEscapedAndEveryUnitIsAnswered() throws Exception {
        for (String unit : new String[] {unitOn("old"), unitOn("new")}) {
            HttpResponse<String> r = get("/plain", unit);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("ok");
        }
        String newHead = upstream.heads.stream().filter(h -> h.contains(unitOn("new"))).reduce((a, b) -> b).orElseThrow();
        String settingsHeader = header(newHead, "x-crossfade-settings");
        assertThat(settingsHeader.chars()).as(settingsHeader).allMatch(c -> c >= 0x20 && c <= 0x7e);
        JsonNode injected = ApiAnswers.json(settingsHeader);
        assertThat(injected.get("hostile.text").asText()).isEqualTo("a\u007fb");
        assertThat(injected.get("hostile.map").get("k\u007fey").asText()).isEqualTo("v\u0001");
        assertThat(injected.get("hostile.ramp").asText()).isEqualTo("new\u007fvalue");
        assertThat(header(newHead, "x-crossfade-variants")).isEqualTo("hostile.ramp=new");
    }

    // ---- interim responses ----

    @Test
    void anInterim102IsNotTheAnswerTheFinalResponseIsDelivered() throws Exception {
        HttpResponse<String> r = get("/processing", "u-1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("final");
        HttpResponse<String> next = get("/plain", "u-1");
        assertThat(next.statusCode()).as("the upstream connection is still in step").isEqualTo(200);
    }

    @Test
    void severalInterimResponsesIncludingEarlyHintsAreFollowedToTheFinalOne() throws Exception {
        HttpResponse<String> r = get("/many-interim", "u-2");
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.body()).isEqualTo("done");
    }

    // ---- statuses HTTP does not have ----

    @Test
    void anUpstreamStatusOutside100To599Is502AndCounted() throws Exception {
        for (String path : new String[] {"/status-600", "/status-999", "/status-099"}) {
            double before = errors("invalid") + errors("reset");
            HttpResponse<String> r = get(path, unitOn("old"));
            String message = ApiAnswers.assertError(r, 502, "unavailable");
            assertThat(message).as(path).contains("the service at " + upstream.uri());
            await().atMost(Duration.ofSeconds(30)).until(() -> errors("invalid") + errors("reset") > before);
        }
        assertThat(errors("invalid")).as("a status Netty parses but HTTP does not have").isPositive();
    }

    @Test
    void aResponseHeaderHttpForbidsIs502CountedAsInvalidAndAnErrorOutcome() throws Exception {
        // the old side: errors on the new side would have the guard halt the migration, and a halted
        // migration's outcomes are dropped
        String unit = unitOn("old");
        for (String path : new String[] {"/bad-header-del", "/bad-header-ctl"}) {
            double invalid = errors("invalid");
            double errorOutcomes = outcomes("old", "error");
            HttpResponse<String> r = get(path, unit);
            assertThat(ApiAnswers.assertError(r, 502, "unavailable")).contains("gave an answer HTTP does not allow");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(errors("invalid")).isEqualTo(invalid + 1);
                assertThat(outcomes("old", "error")).isEqualTo(errorOutcomes + 1);
            });
        }
        HttpResponse<String> latin = get("/bad-header-latin", unit);
        assertThat(latin.statusCode()).as("obs-text is allowed in a field value and passed on").isEqualTo(200);
    }

    // ---- strictness on the client's side ----

    @Test
    void anHttp11RequestWithoutHostOrWithTwoIs400AndNeverReachesTheService() throws Exception {
        int before = upstream.heads.size();
        RawHttp.Answer none = raw("GET /plain HTTP/1.1\r\nConnection: close\r\n\r\n");
        assertThat(none.status()).as(none.raw()).isEqualTo(400);
        assertThat(none.body()).contains("\"error\":\"bad_request\"", "must carry a Host header");
        RawHttp.Answer two = raw("GET /plain HTTP/1.1\r\nHost: shop.example.com\r\nHost: evil.example.com\r\n"
                + "Connection: close\r\n\r\n");
        assertThat(two.status()).as(two.raw()).isEqualTo(400);
        assertThat(two.body()).contains("2 Host headers");
        assertThat(upstream.heads).hasSize(before);
        RawHttp.Answer http10 = raw("GET /plain HTTP/1.0\r\n\r\n");
        assertThat(http10.status()).as("HTTP/1.0 has no Host requirement: " + http10.raw()).isEqualTo(200);
    }

    @Test
    void anExpectationOtherThan100ContinueIs417AndNeverReachesTheService() throws Exception {
        int before = upstream.heads.size();
        RawHttp.Answer a = raw("GET /plain HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nConnection: close\r\n\r\n");
        assertThat(a.status()).as(a.raw()).isEqualTo(417);
        assertThat(a.body()).contains("\"error\":\"bad_request\"", "200-ok");
        assertThat(upstream.heads).hasSize(before);
        HttpResponse<String> ok = HTTP.send(HttpRequest.newBuilder(proxy.resolve("/plain")).expectContinue(true)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).as("100-continue is met").isEqualTo(200);
    }

    // ---- helpers ----

    /** Sends {@code request} on one connection without half-closing it, and reads until the proxy closes it. */
    private static RawHttp.Answer raw(String request) throws Exception {
        try (java.net.Socket socket = new java.net.Socket(proxy.getHost(), proxy.getPort())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            byte[] all = socket.getInputStream().readAllBytes();
            return RawHttp.parse(new String(all, java.nio.charset.StandardCharsets.ISO_8859_1));
        }
    }

    private static HttpResponse<String> get(String path, String unit) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(proxy.resolve(path)).header("X-User-Id", unit)
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        throw new AssertionError("no " + name + " in\n" + head);
    }

    private static String unitOn(String wanted) {
        for (int i = 0; ; i++) {
            JsonNode read = ApiAnswers.json(sidecar.get("/v1/settings/hostile.ramp?unit=unit-" + i));
            if (read.get("variant").asText().equals(wanted)) {
                return "unit-" + i;
            }
        }
    }

    private static double outcomes(String variant, String result) {
        return MetricsScrape.parse(sidecar.getOps("/metrics").body()).valueOrZero("crossfade_outcomes_total",
                "key", "hostile.ramp", "variant", variant, "result", result, "source", "proxy");
    }

    static double errors(String kind) {
        return MetricsScrape.parse(sidecar.getOps("/metrics").body())
                .valueOrZero("crossfade_proxy_upstream_errors_total", "kind", kind);
    }
}

package io.crossfade.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.ApiAnswers;
import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.RawHttp;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Proxy mode against the real sidecar jar and a real upstream server: forwarding, the injected and
 * stripped headers, streaming both ways, WebSocket, and each bad input the issue lists (malformed
 * requests, a 10 MB upload, an upstream that breaks off, a slowloris client, an upstream that never
 * answers or is not there), each of which must get a clean answer and leave the proxy serving.
 */
class ProxyIT {

    private static final String SETTINGS = """
            settings:
              checkout.banner: { value: { text: "Grüße, free shipping", color: "#0a7" } }
              checkout.price_format: { value: { decimals: 2 } }
              db.pool.size: { value: 10 }
            migrations:
              checkout.price_format:
                to: { precision: 2 }
                percent: 50
                guard: { minSamples: 1000000, window: 60s, action: halt }
            """;

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    static Path settings;

    @TempDir
    static Path state;

    private static TestUpstream upstream;
    private static SidecarProcess sidecar;
    private static URI proxy;

    @BeforeAll
    static void start() throws Exception {
        upstream = new TestUpstream();
        SettingsFiles.write(settings, "checkout.yaml", SETTINGS);
        sidecar = SidecarProcess.start(settings, state, "--instance-id", "proxy-it", "--proxy-listen", "127.0.0.1:0",
                "--upstream", upstream.uri().toString(), "--inject", "checkout.*", "--unit-cookie", "uid",
                "--upstream-timeout", "3s");
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

    // ---- forwarding and headers ----

    @Test
    void theServiceGetsTheUnitsSettingsAndVariantsAndNoSpoofedOnes() {
        RawHttp.Answer answer = raw("""
                GET /echo?q=1 HTTP/1.1\r
                Host: shop.example.com\r
                X-User-Id: user-7\r
                X-Crossfade-Settings: {"checkout.price_format":{"decimals":9}}\r
                x-crossfade-variants: checkout.price_format=old\r
                X-Forwarded-For: 203.0.113.9\r
                TE: trailers\r
                Connection: close, x-drop-me\r
                X-Drop-Me: hop-by-hop\r
                \r
                """);

        assertThat(answer.status()).as(answer.raw()).isEqualTo(200);
        JsonNode echo = ApiAnswers.json(answer.body());
        JsonNode headers = echo.get("headers");
        assertThat(echo.get("uri").asText()).isEqualTo("/echo?q=1");
        assertThat(headers.get("x-crossfade-settings").asText()).isEqualTo(expectedSettings("user-7"));
        assertThat(headers.get("x-crossfade-variants").asText())
                .isEqualTo("checkout.price_format=" + variant("user-7"));
        assertThat(headers.get("host").asText()).isEqualTo("shop.example.com");
        assertThat(headers.get("x-forwarded-for").asText()).isEqualTo("203.0.113.9, 127.0.0.1");
        assertThat(headers.get("x-forwarded-proto").asText()).isEqualTo("http");
        assertThat(headers.get("x-forwarded-host").asText()).isEqualTo("shop.example.com");
        assertThat(headers.get("via").asText()).isEqualTo("1.1 crossfade");
        assertThat(headers.has("te")).isFalse();
        assertThat(headers.has("x-drop-me")).isFalse();
        // hop-by-hop fields of the response stay on the upstream's connection
        assertThat(answer.headers()).doesNotContainKeys("x-hop", "keep-alive");
    }

    @Test
    void aBodilessGetOnAConnectionTheServiceClosedIsRetriedOnceButABodyIsNot() throws Exception {
        HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(proxy.resolve("/close-once/get")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("answered on the second try");

        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(proxy.resolve("/close-once/post"))
                .POST(HttpRequest.BodyPublishers.ofString("an order")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).as("a request with a body may have reached the service: never sent twice")
                .isEqualTo(502);
    }

    @Test
    void theSettingsHeaderIsAsciiJsonOfTheValuesTheReadApiServes() {
        String settingsHeader = echo(HttpRequest.newBuilder(proxy.resolve("/echo")).header("X-User-Id", "user-1"))
                .get("headers").get("x-crossfade-settings").asText();
        assertThat(settingsHeader).matches("[\\x20-\\x7e]+").contains("Gr\\u00FC\\u00DFe");
        JsonNode parsed = ApiAnswers.json(settingsHeader);
        assertThat(parsed.get("checkout.banner").get("text").asText()).isEqualTo("Grüße, free shipping");
        assertThat(parsed.has("db.pool.size")).as("not matched by --inject checkout.*").isFalse();
    }

    @Test
    void theUnitComesFromTheCookieWhenTheHeaderIsAbsentElseItIsTheInstanceId() {
        JsonNode byCookie = echo(HttpRequest.newBuilder(proxy.resolve("/echo")).header("Cookie", "a=b; uid=user-12"));
        assertThat(byCookie.at("/headers/x-crossfade-settings").asText()).isEqualTo(expectedSettings("user-12"));
        JsonNode none = echo(HttpRequest.newBuilder(proxy.resolve("/echo")));
        assertThat(none.at("/headers/x-crossfade-settings").asText()).isEqualTo(expectedSettings("proxy-it"));
    }

    @Test
    void aUnitOverTheLimitIsRefusedWithTheErrorShape() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(proxy.resolve("/echo"))
                .header("X-User-Id", "u".repeat(300)).build(), HttpResponse.BodyHandlers.ofString());
        ApiAnswers.assertError(r, 400, "bad_request");
    }

    @Test
    void keepAliveCarriesSeveralRequestsOnOneClientConnection() {
        RawHttp.Answer answer = raw("""
                GET /echo HTTP/1.1\r
                Host: a\r
                \r
                GET /status/204 HTTP/1.1\r
                Host: a\r
                \r
                GET /echo HTTP/1.1\r
                Host: a\r
                Connection: close\r
                \r
                """);
        assertThat(answer.raw().split("HTTP/1.1 200 OK", -1)).hasSize(3);
        assertThat(answer.raw()).contains("HTTP/1.1 204");
    }

    @Test
    void chunkedBodiesPassBothWays() throws Exception {
        byte[] body = new byte[300_000];
        HttpResponse<String> up = HTTP.send(HttpRequest.newBuilder(proxy.resolve("/echo"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(up.statusCode()).isEqualTo(200);
        JsonNode echo = ApiAnswers.json(up.body());
        assertThat(echo.at("/headers/transfer-encoding").asText()).isEqualTo("chunked");
        assertThat(echo.get("bodyBytes").asLong()).isEqualTo(body.length);

        HttpResponse<String> down = HTTP.send(HttpRequest.newBuilder(proxy.resolve("/chunked/500")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(down.headers().firstValue("transfer-encoding")).hasValue("chunked");
        assertThat(down.body().lines()).hasSize(500).startsWith("chunk 0").endsWith("chunk 499");
    }

    @Test
    void aWebSocketIsPassedThrough() throws Exception {
        CompletableFuture<String> echoed = new CompletableFuture<>();
        WebSocket ws = HTTP.newWebSocketBuilder().header("X-User-Id", "user-3")
                .buildAsync(URI.create("ws://" + proxy.getAuthority() + "/ws"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                        echoed.complete(data.toString());
                        return null;
                    }
                }).get(30, TimeUnit.SECONDS);
        ws.sendText("hello through the proxy", true).get(30, TimeUnit.SECONDS);
        assertThat(echoed.get(30, TimeUnit.SECONDS)).isEqualTo("hello through the proxy");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(30, TimeUnit.SECONDS);
    }

    // ---- outcomes ----

    @Test
    void eachResponseIsAnOutcomeAndAnErrorStatusIsAnError() throws Exception {
        String unit = unitOn("new");
        double errorsBefore = outcomes("new", "error");
        double okBefore = outcomes("new", "ok");
        for (String path : new String[] {"/status/503", "/status/503", "/status/404", "/echo"}) {
            HTTP.send(HttpRequest.newBuilder(proxy.resolve(path)).header("X-User-Id", unit).build(),
                    HttpResponse.BodyHandlers.discarding());
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(outcomes("new", "error") - errorsBefore).as(sidecar.getOps("/ready").body()).isEqualTo(2);
            assertThat(outcomes("new", "ok") - okBefore).isEqualTo(2);
        });
        MetricsScrape metrics = metrics();
        assertThat(metrics.valueOrZero("crossfade_proxy_requests_total", "status_class", "5xx")).isPositive();
        assertThat(metrics.valueOrZero("crossfade_proxy_requests_total", "status_class", "4xx")).isPositive();
        assertThat(metrics.has("crossfade_proxy_duration_seconds_bucket")).isTrue();
    }

    // ---- large bodies ----

    @Test
    void aTenMegabyteUploadIsStreamedToTheService() throws Exception {
        byte[] body = new byte[10 * 1024 * 1024];
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(proxy.resolve("/echo"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(ApiAnswers.json(r.body()).get("bodyBytes").asLong()).isEqualTo(body.length);
    }

    @Test
    @Tag("slow") // sleeps to show the upstream held back
    void aLargeDownloadStreamsAndASlowClientHoldsTheServiceBack() throws Exception {
        long total = 200L * 1024 * 1024;
        try (Socket socket = new Socket(proxy.getHost(), proxy.getPort())) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write(("GET /bytes/" + total + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long received = in.read(buf);
            assertThat(received).isPositive();
            assertThat(upstream.bytesWritten.get()).as("first bytes arrive before the service has written all")
                    .isLessThan(total);
            // a client that stops reading: the service must be held back, not buffered into the heap
            java.util.concurrent.atomic.AtomicLong seen = new java.util.concurrent.atomic.AtomicLong(-1);
            org.awaitility.Awaitility.await("the service to be held back").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> seen.getAndSet(upstream.bytesWritten.get()) == upstream.bytesWritten.get());
            long ahead = upstream.bytesWritten.get();
            org.awaitility.Awaitility.await("the service to stay held back").during(Duration.ofSeconds(2))
                    .atMost(Duration.ofSeconds(10)).until(() -> upstream.bytesWritten.get() == ahead);
            assertThat(upstream.bytesWritten.get()).as("the service waits for the slow client").isEqualTo(ahead);
            assertThat(ahead).as("bytes in flight while the client does not read").isLessThan(64L * 1024 * 1024);
            int n;
            while ((n = in.read(buf)) >= 0) {
                received += n;
            }
            // the header block took some bytes; the body is all there
            assertThat(received).isGreaterThan(total);
        }
    }

    // ---- bad input ----

    @Test
    void malformedRequestsGetA4xxAndTheProxyKeepsServing() throws Exception {
        RawHttp.Answer garbage = RawHttp.exchange(proxy, "THIS IS NOT HTTP\r\n\r\n", 30_000);
        assertThat(garbage.status()).as(garbage.raw()).isEqualTo(400);
        assertThat(ApiAnswers.json(garbage.body()).get("error").asText()).isEqualTo("bad_request");
        RawHttp.Answer badHeader = RawHttp.exchange(proxy, "GET /echo HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n", 30_000);
        assertThat(badHeader.status()).as(badHeader.raw()).isEqualTo(400);
        RawHttp.Answer huge = RawHttp.exchange(proxy, "GET /echo HTTP/1.1\r\nHost: a\r\nX-Big: " + "x".repeat(20_000)
                + "\r\n\r\n", 30_000);
        assertThat(huge.status()).as(huge.raw()).isEqualTo(431);
        RawHttp.Answer badLength = RawHttp.exchange(proxy, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
                30_000);
        assertThat(badLength.status()).as(badLength.raw()).isEqualTo(400);
        assertThat(HTTP.send(HttpRequest.newBuilder(proxy.resolve("/echo")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/9.9", "FOO/1.0", "HTTP/2.0"})
    void anUnknownHttpVersionIs505InTheErrorShapeAndNeverReachesTheService(String version) throws Exception {
        int before = upstream.requests.get();
        RawHttp.Answer a = RawHttp.exchange(proxy, "GET /echo " + version + "\r\nHost: a\r\n\r\n", 30_000);
        assertThat(a.status()).as(a.raw()).isEqualTo(505);
        assertThat(a.raw()).startsWith("HTTP/1.1 505").doesNotContain(version);
        assertThat(a.headers().get("content-type")).startsWith("application/json");
        assertThat(a.body()).contains("\"error\":\"bad_request\"", "HTTP/1.1 and HTTP/1.0 only");
        assertThat(upstream.requests.get()).isEqualTo(before);
    }

    @Test
    void aBadChunkSizeIs400InTheErrorShapeThenTheConnectionCloses() throws Exception {
        RawHttp.Answer a = RawHttp.exchangeHeld(proxy, ("POST /echo HTTP/1.1\r\nHost: a\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII), 30_000);
        assertThat(a.status()).as(a.raw()).isEqualTo(400);
        assertThat(a.headers().get("connection")).isEqualTo("close");
        assertThat(a.body()).contains("\"error\":\"bad_request\"", "chunked body is malformed");
        assertThat(HTTP.send(HttpRequest.newBuilder(proxy.resolve("/echo")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
    }

    @Test
    void anUpstreamThatClosesMidResponseCutsTheClientsResponseAndCountsAnError() throws Exception {
        double before = metrics().valueOrZero("crossfade_proxy_upstream_errors_total", "kind", "reset");
        assertThatThrownBy(() -> HTTP.send(HttpRequest.newBuilder(proxy.resolve("/cut")).build(),
                HttpResponse.BodyHandlers.ofByteArray())).isInstanceOf(IOException.class);
        await().atMost(Duration.ofSeconds(30)).until(
                () -> metrics().valueOrZero("crossfade_proxy_upstream_errors_total", "kind", "reset") > before);
        assertThat(HTTP.send(HttpRequest.newBuilder(proxy.resolve("/echo")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
    }

    @Test
    void anUpstreamThatNeverAnswersGets504AfterTheUpstreamTimeout() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(proxy.resolve("/hang"))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        String message = ApiAnswers.assertError(r, 504, "unavailable");
        assertThat(message).contains("did not answer within 3s");
        assertThat(metrics().valueOrZero("crossfade_proxy_upstream_errors_total", "kind", "timeout")).isPositive();
    }

    @Test
    @Tag("slow") // waits for the 10 s header deadline
    void aSlowlorisClientIsCutOffWhileOthersAreServed() throws Exception {
        try (Socket slow = new Socket(proxy.getHost(), proxy.getPort())) {
            slow.setSoTimeout(60_000);
            OutputStream out = slow.getOutputStream();
            out.write("GET /echo HTTP/1.1\r\nHost: a\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long started = System.nanoTime();
            byte[] answer = new byte[4096];
            int read = 0;
            // one header byte a second, for ever; meanwhile others are served
            for (int i = 0; i < 40 && read <= 0; i++) {
                try {
                    out.write('x');
                    out.flush();
                } catch (IOException closed) {
                    break;
                }
                assertThat(HTTP.send(HttpRequest.newBuilder(proxy.resolve("/echo")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
                slow.setSoTimeout(1000);
                try {
                    read = slow.getInputStream().read(answer);
                } catch (java.net.SocketTimeoutException stillOpen) {
                    read = 0;
                }
            }
            if (read <= 0) {
                slow.setSoTimeout(5000);
                read = slow.getInputStream().read(answer);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(45));
            assertThat(new String(answer, 0, Math.max(read, 0), StandardCharsets.US_ASCII))
                    .startsWith("HTTP/1.1 408");
            assertThat(metrics().valueOrZero("crossfade_http_timeouts_total", "listener", "proxy"))
                    .as("the 408 is counted with the other listeners' timeouts").isPositive();
        }
    }

    // ---- helpers ----

    /**
     * Sends {@code request} verbatim on one connection and reads until the proxy closes it (the last
     * request says {@code Connection: close}). Unlike {@link RawHttp} it does not half-close its
     * side first, which would end the connection before the upstream answered.
     */
    private static RawHttp.Answer raw(String request) {
        try (Socket socket = new Socket(proxy.getHost(), proxy.getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            String text = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            if (!text.startsWith("HTTP/1.1 ")) {
                return new RawHttp.Answer(-1, java.util.Map.of(), "", text);
            }
            int end = text.indexOf("\r\n\r\n");
            java.util.Map<String, String> headers = new java.util.HashMap<>();
            for (String line : text.substring(0, end).split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.put(line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT),
                            line.substring(colon + 1).trim());
                }
            }
            return new RawHttp.Answer(Integer.parseInt(text.substring(9, 12)), headers, text.substring(end + 4), text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static JsonNode echo(HttpRequest.Builder request) {
        HttpResponse<String> r = SidecarProcess.send(request.build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ApiAnswers.json(r.body());
    }

    /** The settings header as the read API says {@code unit} reads them. */
    private static String expectedSettings(String unit) {
        JsonNode read = ApiAnswers.json(sidecar.get("/v1/settings?prefix=checkout.&unit=" + unit));
        return "{\"checkout.banner\":" + read.at("/settings/checkout.banner/value").toString()
                .replace("ü", "\\u00FC").replace("ß", "\\u00DF")
                + ",\"checkout.price_format\":" + read.at("/settings/checkout.price_format/value") + "}";
    }

    private static String variant(String unit) {
        return ApiAnswers.json(sidecar.get("/v1/settings/checkout.price_format?unit=" + unit)).get("variant").asText();
    }

    private static String unitOn(String wanted) {
        for (int i = 0; ; i++) {
            if (variant("unit-" + i).equals(wanted)) {
                return "unit-" + i;
            }
        }
    }

    private static double outcomes(String variant, String result) {
        return metrics().valueOrZero("crossfade_outcomes_total", "key", "checkout.price_format", "variant", variant,
                "result", result, "source", "proxy");
    }

    private static MetricsScrape metrics() {
        return MetricsScrape.parse(sidecar.getOps("/metrics").body());
    }
}

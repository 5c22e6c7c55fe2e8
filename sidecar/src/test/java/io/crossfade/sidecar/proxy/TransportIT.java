package io.crossfade.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.ApiAnswers;
import io.crossfade.sidecar.testing.RawHttp;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.transport.Transport;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --transport}: the sidecar serves reads over TCP and its Unix socket and proxies requests,
 * streamed bodies included, on each transport it can be told to use, says in its log which one it
 * runs on, and refuses a transport it does not know. (Every other integration test runs on the
 * default, {@code auto}: io_uring where this machine allows it.)
 */
class TransportIT {

    private static final String SETTINGS = """
            settings:
              checkout.banner:
                value: "Free shipping"
            """;

    private static TestUpstream upstream;

    @TempDir
    Path settings;
    @TempDir
    Path state;
    @TempDir
    Path sockets;

    @BeforeAll
    static void startUpstream() throws Exception {
        upstream = new TestUpstream();
    }

    @AfterAll
    static void stopUpstream() throws Exception {
        if (upstream != null) {
            upstream.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "nio", "io_uring", "auto"})
    void readsAndTheProxyWorkOnEachTransport(String transport) throws Exception {
        if (transport.equals("io_uring")) {
            assumeTrue(Transport.IO_URING.available(), "io_uring is not available on this machine");
        }
        SettingsFiles.write(settings, "checkout.yaml", SETTINGS);
        Path socket = sockets.resolve("read.sock");
        try (SidecarProcess sidecar = SidecarProcess.start(settings, state, "--transport", transport,
                "--listen-unix", socket.toString(), "--proxy-listen", "127.0.0.1:0",
                "--upstream", upstream.uri().toString(), "--inject", "checkout.*")) {
            String expected = switch (transport) {
                case "epoll" -> "transport: native (epoll)";
                case "nio" -> "transport: NIO (--transport nio)";
                case "io_uring" -> "transport: native (io_uring)";
                default -> Transport.IO_URING.available() ? "transport: native (io_uring)" : "transport: native (epoll); "
                        + "io_uring unavailable: ";
            };
            assertThat(sidecar.output()).anySatisfy(line -> assertThat(line).contains(expected));

            assertThat(sidecar.get("/v1/settings/checkout.banner").body()).contains("Free shipping");
            assertThat(readOverUnixSocket(socket)).contains("Free shipping");

            URI proxy = ProxyAddress.of(sidecar);
            RawHttp.Answer echo = get(proxy, "/echo", "X-User-Id: u-1\r\n");
            assertThat(echo.status()).as(echo.raw()).isEqualTo(200);
            JsonNode headers = ApiAnswers.json(echo.body()).get("headers");
            assertThat(headers.get("x-crossfade-settings").asText()).isEqualTo("{\"checkout.banner\":\"Free shipping\"}");

            RawHttp.Answer chunked = get(proxy, "/chunked/5", "");
            assertThat(chunked.status()).as(chunked.raw()).isEqualTo(200);
            assertThat(chunked.raw()).contains("chunk 0\n").contains("chunk 4\n");

            RawHttp.Answer streamed = get(proxy, "/bytes/3000000", "");
            assertThat(streamed.status()).as(streamed.raw().substring(0, Math.min(200, streamed.raw().length())))
                    .isEqualTo(200);
            assertThat(streamed.body()).hasSize(3_000_000);
        }
    }

    @Test
    void anUnknownTransportIsRefusedNamingTheFlag() {
        SettingsFiles.write(settings, "checkout.yaml", SETTINGS);

        SidecarProcess.Result result = SidecarProcess.run(Duration.ofSeconds(30), "serve", "--settings",
                settings.toString(), "--state", state.toString(), "--listen", "127.0.0.1:0", "--ops-listen",
                "127.0.0.1:0", "--transport", "kqueue");

        assertThat(result.exitCode()).as(result.output()).isEqualTo(2);
        assertThat(result.output()).contains("--transport must be auto, io_uring, epoll or nio, not 'kqueue'");
    }

    /** A GET through the proxy on a connection the client keeps open for writing, as browsers do. */
    private static RawHttp.Answer get(URI proxy, String path, String headers) {
        return RawHttp.exchangeHeld(proxy, ("GET " + path + " HTTP/1.1\r\nHost: shop.example.com\r\n" + headers
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), 30_000);
    }

    private static String readOverUnixSocket(Path socket) throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1));
        try {
            HttpClient client = vertx.createHttpClient();
            return client.request(new RequestOptions().setServer(SocketAddress.domainSocketAddress(socket.toString()))
                            .setHost("localhost").setMethod(HttpMethod.GET).setURI("/v1/settings/checkout.banner"))
                    .compose(req -> req.send().compose(res -> res.body()))
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).toString();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}

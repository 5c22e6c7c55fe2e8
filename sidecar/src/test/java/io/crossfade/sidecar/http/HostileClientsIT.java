package io.crossfade.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.RawHttp;
import io.crossfade.sidecar.testing.RunningSidecar;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Slow and hostile clients (issue D), against the real sidecar with short limits: half-sent request
 * heads are closed by --header-timeout, half-sent bodies get 408, idle connections are closed — and a
 * well-behaved client's reads keep succeeding while 1 000 hostile connections are held. No speed is
 * asserted: only that reads succeed.
 */
class HostileClientsIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final RunningSidecar sidecar = RunningSidecar.withFile("a.yaml", "settings:\n  a.b:\n    value: 1\n")
            .args("--request-timeout", "3s", "--idle-timeout", "5s", "--max-connections", "300");

    private static double metric(String name, String... labels) {
        return MetricsScrape.parse(sidecar.getOps("/metrics").body()).valueOrZero(name, labels);
    }

    @Test
    void readsKeepSucceedingWhileAThousandHalfSentRequestsAreHeld() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest read = HttpRequest.newBuilder(sidecar.readUri().resolve("/v1/settings/a.b/value"))
                .timeout(Duration.ofSeconds(30)).build();
        assertThat(client.send(read, HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("1");

        List<Socket> hostile = new ArrayList<>();
        try {
            for (int i = 0; i < 1000; i++) {
                Socket s = new Socket();
                s.connect(new java.net.InetSocketAddress(sidecar.readUri().getHost(), sidecar.readUri().getPort()), 30_000);
                s.getOutputStream().write("GET /v1/settings/a.b HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                        .getBytes(StandardCharsets.US_ASCII));
                hostile.add(s);
            }
            // the pooled connection of the well-behaved client keeps working ...
            for (int i = 0; i < 20; i++) {
                assertThat(client.send(read, HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("1");
            }
            // ... and so does a new client, once the cap has room again
            await("a fresh client's read").atMost(WAIT).ignoreExceptions().until(() -> HttpClient.newHttpClient()
                    .send(read, HttpResponse.BodyHandlers.ofString()).body().equals("1"));
            assertThat(sidecar.get("/health").statusCode()).isEqualTo(200);
            // every hostile connection is closed by the server (a silent half-sent head by --idle-timeout)
            for (Socket s : hostile) {
                assertThat(closedByServer(s)).isTrue();
            }
        } finally {
            for (Socket s : hostile) {
                s.close();
            }
        }
        assertThat(MetricsScrape.parse(sidecar.getOps("/metrics").body()).has("crossfade_http_connections")).isTrue();
    }

    @Test
    void aBodyShorterThanItsContentLengthIs408AfterTheRequestTimeout() {
        RawHttp.Answer a = RawHttp.exchangeHeld(sidecar.readUri(), ("POST /v1/outcomes HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"outcomes\":").getBytes(
                StandardCharsets.US_ASCII), 60_000);
        assertThat(a.status()).isEqualTo(408);
        assertThat(a.body()).contains("\"error\":\"bad_request\"", "--request-timeout");
        assertThat(metric("crossfade_http_timeouts_total", "listener", "read", "phase", "body")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void anIdleConnectionIsClosed() throws IOException {
        try (Socket s = new Socket(sidecar.opsUri().getHost(), sidecar.opsUri().getPort())) {
            s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            // the answer, then nothing: the server closes the kept-alive connection after --idle-timeout
            assertThat(closedByServer(s)).isTrue();
        }
    }

    /** Reads until the server closes (true) or 60 s pass (false). */
    private static boolean closedByServer(Socket s) throws IOException {
        s.setSoTimeout(60_000);
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            while (true) {
                if (in.read(buf) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }
}

package io.crossfade.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.sidecar.testing.MetricsScrape;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
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
 * Issue 10 D on the proxy listener: with the process limited to 600 descriptors
 * ({@code prlimit --nofile=600:600}), 700 half-sent request heads on {@code --proxy-listen} must not
 * starve the proxy or {@code /health}. The proxy's connections take part in the process's
 * descriptor budget like every listener's, so the oldest of them still awaiting a head are shed to
 * make room. One attempt each, with a generous timeout: no speed is asserted. (Half-sent heads alone
 * also run into the proxy's own 10 s header deadline, which frees their descriptors without the
 * budget, only later; connections that send nothing are held for 75 s, longer than the attempts.)
 */
class ProxyDescriptorLimitIT {

    private static final int HOSTILE = 700;
    private static final Duration ATTEMPT = Duration.ofSeconds(60);

    @RegisterExtension
    static final ProxiedSidecar running = ProxiedSidecar.withArgs("--inject", "a.*", "--upstream-timeout", "30s")
            .underDescriptorLimit(600);

    @Test
    void aProxiedRequestAndHealthAreAnsweredWhileSevenHundredHalfSentHeadsAreHeldOnTheProxy() throws Exception {
        answeredWhileHeld("GET /echo HTTP/1.1\r\nHost: shop.example.com\r\nX-Slow: ");
    }

    /**
     * The same with connections that send nothing at all, which the proxy's own deadlines hold
     * longest (75 s idle, against 10 s for a head that has begun): without the budget, the answers
     * would wait for those to run out.
     */
    @Test
    void aProxiedRequestAndHealthAreAnsweredWhileSevenHundredSilentConnectionsAreHeldOnTheProxy() throws Exception {
        answeredWhileHeld("");
    }

    private void answeredWhileHeld(String firstBytes) throws Exception {
        assertThat(running.sidecar().output()).anySatisfy(line -> assertThat(line).contains("descriptor limit 600"));
        double shedBefore = metrics().valueOrZero("crossfade_http_connections_shed_total", "listener", "proxy");
        List<Socket> hostile = new ArrayList<>();
        try {
            for (int i = 0; i < HOSTILE; i++) {
                Socket s = new Socket();
                // the kernel completes the handshake even when the process cannot accept; a shed
                // connection is reset later, which the write below may or may not notice
                s.connect(new InetSocketAddress(running.proxy().getHost(), running.proxy().getPort()), 30_000);
                try {
                    s.getOutputStream().write(firstBytes.getBytes(StandardCharsets.US_ASCII));
                } catch (IOException shed) {
                    // already closed by the sidecar: that is the point
                }
                hostile.add(s);
            }
            // a fresh client (a new connection) gets through the proxy to the service ...
            HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(ATTEMPT)
                    .build();
            HttpResponse<String> proxied = fresh.send(HttpRequest.newBuilder(running.proxy().resolve("/echo"))
                    .header("X-User-Id", "user-1").timeout(ATTEMPT).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(proxied.statusCode()).as(proxied.body()).isEqualTo(200);
            assertThat(proxied.body()).contains("\"x-crossfade-settings\"");
            // ... and the ops listener, which the crowd never touched, still answers /health
            HttpResponse<String> health = HttpClient.newBuilder().connectTimeout(ATTEMPT).build()
                    .send(HttpRequest.newBuilder(running.sidecar().opsUri().resolve("/health")).timeout(ATTEMPT)
                            .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);

            // The kernel completes all 700 handshakes at once, and the proxy's instances (one accept
            // queue each) take them at their own pace: the fresh request may well be served before the
            // crowd is all accepted, and the sheds come as it is.
            await("connections awaiting a head on the proxy shed to make room").atMost(Duration.ofSeconds(60))
                    .until(() -> metrics().valueOrZero("crossfade_http_connections_shed_total", "listener", "proxy")
                            > shedBefore);
            MetricsScrape metrics = metrics();
            assertThat(metrics.valueOrZero("crossfade_http_connections_shed_total", "listener", "read"))
                    .as("the read listener had no crowd to shed").isZero();
            assertThat(metrics.valueOrZero("crossfade_http_connections_awaiting_request", "listener", "proxy"))
                    .as("connections awaiting a head held at once, under the 600 descriptors").isLessThan(600);
        } finally {
            for (Socket s : hostile) {
                s.close();
            }
        }
    }

    private static MetricsScrape metrics() {
        return MetricsScrape.parse(running.sidecar().getOps("/metrics").body());
    }
}

package io.crossfade.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.RunningSidecar;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
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
 * Issue 10 D: with the process limited to 600 descriptors ({@code prlimit --nofile=600:600}), 700
 * half-sent request heads on the read listener must not starve reads or {@code /health}. The header
 * timeout is set far beyond the test (10 min), so only the descriptor budget can make room: without
 * it the sidecar runs out of descriptors, the kernel queues new connections it can no longer accept,
 * and both reads below time out. No speed is asserted (a minute each), only that each is answered
 * at its first attempt while the 700 are held.
 */
class DescriptorLimitIT {

    private static final int HOSTILE = 700;

    @RegisterExtension
    static final RunningSidecar sidecar = RunningSidecar.withFile("a.yaml", "settings:\n  a.b:\n    value: 1\n")
            .args("--header-timeout", "10m", "--idle-timeout", "10m").underDescriptorLimit(600);

    @Test
    void readsAndHealthAreAnsweredWhileSevenHundredHalfSentHeadsAreHeld() throws Exception {
        assertThat(sidecar.output()).anySatisfy(line -> assertThat(line).contains("descriptor limit 600"));
        URI read = sidecar.readUri();
        List<Socket> hostile = new ArrayList<>();
        try {
            for (int i = 0; i < HOSTILE; i++) {
                Socket s = new Socket();
                // the kernel completes the handshake even when the process cannot accept; a shed
                // connection is reset later, which the write below may or may not notice
                s.connect(new InetSocketAddress(read.getHost(), read.getPort()), 30_000);
                try {
                    s.getOutputStream().write("GET /v1/settings/a.b HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                            .getBytes(StandardCharsets.US_ASCII));
                } catch (IOException shed) {
                    // already closed by the sidecar: that is the point
                }
                hostile.add(s);
            }
            // One attempt each, while all 700 are still held: without the budget the sidecar has no
            // descriptor left to accept them, and both wait until their timeout.
            HttpRequest value = HttpRequest.newBuilder(read.resolve("/v1/settings/a.b/value"))
                    .timeout(Duration.ofSeconds(60)).build();
            assertThat(HttpClient.newHttpClient().send(value, HttpResponse.BodyHandlers.ofString()).body())
                    .as("a fresh client's read").isEqualTo("1");
            HttpRequest health = HttpRequest.newBuilder(sidecar.opsUri().resolve("/health"))
                    .timeout(Duration.ofSeconds(60)).build();
            assertThat(HttpClient.newHttpClient().send(health, HttpResponse.BodyHandlers.ofString()).statusCode())
                    .as("/health on the ops listener").isEqualTo(200);
            // The read listener's instances take the crowd from their accept queues at their own pace,
            // so the sheds may come after the fresh read was served.
            await("half-sent heads shed to make room").atMost(Duration.ofSeconds(60)).until(() -> MetricsScrape
                    .parse(sidecar.getOps("/metrics").body())
                    .valueOrZero("crossfade_http_connections_shed_total", "listener", "read") > 0);
            MetricsScrape metrics = MetricsScrape.parse(sidecar.getOps("/metrics").body());
            assertThat(metrics.valueOrZero("crossfade_http_connections_awaiting_request", "listener", "read"))
                    .as("half-sent heads held at once, under the 600 descriptors").isLessThan(600);
        } finally {
            for (Socket s : hostile) {
                s.close();
            }
        }
    }
}

package io.crossfade.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.RunningSidecar;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Slowloris before the first request (issue 10, D), against the real sidecar with small limits: 300
 * connections that trickle their first request head a byte at a time, or say nothing at all, are
 * closed by {@code --header-timeout} and counted, and do not take the {@code --max-connections} budget
 * from clients that do send requests. Functional only: no speed is asserted.
 */
class SlowHeadersIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int SLOW = 300;

    @RegisterExtension
    static final RunningSidecar sidecar = RunningSidecar.withFile("a.yaml", "settings:\n  a.b:\n    value: 1\n")
            .args("--header-timeout", "3s", "--idle-timeout", "60s", "--max-connections", "50");

    @Test
    void trickledAndSilentFirstHeadsAreClosedAndCountedWhileReadsGoOn() throws Exception {
        byte[] head = "GET /v1/settings/a.b/value HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: yes\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        List<Socket> slow = new ArrayList<>();
        List<Socket> closed = new CopyOnWriteArrayList<>();
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        HttpRequest read = HttpRequest.newBuilder(sidecar.readUri().resolve("/v1/settings/a.b/value"))
                .timeout(WAIT).build();
        try {
            for (int i = 0; i < SLOW; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(sidecar.readUri().getHost(), sidecar.readUri().getPort()), 30_000);
                slow.add(s);
            }
            // every other connection sends a byte every 200 ms, never finishing its head; the rest say nothing
            int[] sent = new int[SLOW];
            trickle.scheduleWithFixedDelay(() -> {
                for (int i = 0; i < SLOW; i += 2) {
                    Socket s = slow.get(i);
                    if (closed.contains(s) || sent[i] >= head.length - 4) {
                        continue;
                    }
                    try {
                        s.getOutputStream().write(head[sent[i]++]);
                    } catch (IOException e) {
                        closed.add(s);
                    }
                }
            }, 0, 200, TimeUnit.MILLISECONDS);

            // well-behaved clients, each on a new connection (kept open in its pool), keep being answered: the
            // 300 slow ones hold none of the 50 places
            for (int i = 0; i < 40; i++) {
                HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                        .send(read, HttpResponse.BodyHandlers.ofString());
                assertThat(r.body()).isEqualTo("1");
            }

            // the server closes every slow connection (a read sees the end of the stream, or a reset)
            await("every slow connection closed by the server").atMost(WAIT).until(() -> {
                for (Socket s : slow) {
                    if (!closed.contains(s) && closedByServer(s)) {
                        closed.add(s);
                    }
                }
                return closed.size() == SLOW;
            });
            await("the closes counted").atMost(WAIT).until(() -> MetricsScrape.parse(sidecar.getOps("/metrics").body())
                    .valueOrZero("crossfade_http_timeouts_total", "listener", "read", "phase", "headers") >= SLOW);
            assertThat(MetricsScrape.parse(sidecar.getOps("/metrics").body())
                    .valueOrZero("crossfade_http_connections_awaiting_request", "listener", "read")).isZero();
            assertThat(sidecar.get("/v1/settings/a.b/value").body()).isEqualTo("1");
        } finally {
            trickle.shutdownNow();
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    /** True once the server has closed {@code s}; false while it is still open (checked without blocking long). */
    private static boolean closedByServer(Socket s) {
        try {
            s.setSoTimeout(20);
            return s.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }
}

package io.crossfade.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.ApiAnswers;
import io.crossfade.sidecar.testing.MetricsScrape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code --max-connections} on the proxy listener, counted across its per-core instances: with a cap
 * of 5 kept-alive connections, a 6th connection's first request closes the one idle longest and is
 * served; only when none of the five is idle is it answered 503 in the contract's error shape and
 * the connection closed; a place freed by a close is taken by the next connection.
 */
class ProxyConnectionCapIT {

    private static final int CAP = 5;

    @RegisterExtension
    static final ProxiedSidecar running = ProxiedSidecar.withArgs("--max-connections", String.valueOf(CAP),
            "--upstream-timeout", "20s");

    private static double metric(String name) {
        return MetricsScrape.parse(running.sidecar().getOps("/metrics").body()).valueOrZero(name, "listener", "proxy");
    }

    @Test
    void aSixthConnectionClosesTheOldestIdleOneAndIsRefusedOnlyWhenNoneIsIdle() throws Exception {
        List<KeptAlive> five = new ArrayList<>();
        try {
            for (int i = 0; i < CAP; i++) {
                KeptAlive c = new KeptAlive(running.proxy());
                five.add(c);
                Answer a = c.get("/status/200");
                assertThat(a.status()).as(a.toString()).isEqualTo(200);
                assertThat(a.body()).isEqualTo("status");
            }
            double refusedBefore = metric("crossfade_http_connections_refused_total");
            double shedBefore = metric("crossfade_http_idle_connections_shed_total");

            KeptAlive sixth = new KeptAlive(running.proxy());
            five.add(sixth);
            Answer served = sixth.get("/status/200");
            assertThat(served.status()).as(served.toString()).isEqualTo(200);
            assertThat(five.get(0).closedByServer()).as("the connection idle longest made room").isTrue();
            five.remove(0).close();
            assertThat(metric("crossfade_http_idle_connections_shed_total")).isEqualTo(shedBefore + 1);
            assertThat(metric("crossfade_http_connections")).as("five, across the proxy's instances").isEqualTo(CAP);

            // all five busy (a request the service never answers): none can make room
            int reached = running.upstream().requests.get();
            for (KeptAlive c : five) {
                c.send("/hang");
            }
            await("five requests in flight").atMost(Duration.ofSeconds(30))
                    .until(() -> running.upstream().requests.get() == reached + CAP);
            try (KeptAlive seventh = new KeptAlive(running.proxy())) {
                Answer refused = seventh.get("/status/200");
                assertThat(refused.status()).as(refused.toString()).isEqualTo(503);
                assertThat(refused.headers().get("connection")).isEqualToIgnoringCase("close");
                assertThat(refused.headers().get("content-type")).startsWith("application/json");
                JsonNode error = ApiAnswers.json(refused.body());
                assertThat(error.get("error").asText()).isEqualTo("unavailable");
                assertThat(error.get("message").asText()).contains("proxy listener", "--max-connections");
                assertThat(seventh.closedByServer()).as("the refused connection is closed").isTrue();
            }
            assertThat(metric("crossfade_http_connections_refused_total")).isEqualTo(refusedBefore + 1);

            // one leaves: its place is free for the next connection
            five.remove(0).close();
            await("the closed connection leaves the count").atMost(Duration.ofSeconds(30))
                    .until(() -> metric("crossfade_http_connections") == CAP - 1);
            try (KeptAlive next = new KeptAlive(running.proxy())) {
                Answer a = next.get("/status/200");
                assertThat(a.status()).as(a.toString()).isEqualTo(200);
            }
        } finally {
            for (KeptAlive c : five) {
                c.close();
            }
        }
    }

    /** One response: status, headers (names in lower case) and body. */
    record Answer(int status, Map<String, String> headers, String body) {
    }

    /** A kept-alive HTTP/1.1 connection that sends one request at a time and reads its answer by its length. */
    static final class KeptAlive implements AutoCloseable {

        private final Socket socket;
        private final InputStream in;

        KeptAlive(URI base) throws IOException {
            socket = new Socket(base.getHost(), base.getPort());
            socket.setSoTimeout(30_000);
            in = socket.getInputStream();
        }

        /** Sends a GET of {@code path} without reading its answer. */
        void send(String path) throws IOException {
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: shop.example.com\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
        }

        Answer get(String path) throws IOException {
            send(path);
            String head = readHead();
            String[] lines = head.split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ", 3)[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).trim());
                }
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            byte[] body = in.readNBytes(length);
            return new Answer(status, headers, new String(body, StandardCharsets.UTF_8));
        }

        private String readHead() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            byte[] end = {'\r', '\n', '\r', '\n'};
            while (matched < end.length) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed before a response head; got: " + head.toString(StandardCharsets.ISO_8859_1));
                }
                head.write(b);
                matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            return head.toString(StandardCharsets.ISO_8859_1);
        }

        /** Reads until the server closes (true) or 30 s pass (false). */
        boolean closedByServer() throws IOException {
            try {
                while (true) {
                    if (in.read() < 0) {
                        return true;
                    }
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (SocketException e) {
                return true; // reset
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}

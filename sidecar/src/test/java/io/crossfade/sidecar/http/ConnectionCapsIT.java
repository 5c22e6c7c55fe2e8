package io.crossfade.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Long-lived streams and idle keep-alive connections cannot lock out reads (issue 25, part 4),
 * against the real sidecar over raw sockets: streams are counted against their own cap, not
 * {@code --max-connections}; at the cap the connection idle longest is closed to make room; the
 * metrics say what was shed.
 */
class ConnectionCapsIT {

    private static final String SETTINGS = "settings:\n  a.b:\n    value: 1\n";

    @TempDir
    Path settings;

    @TempDir
    Path state;

    @Test
    void aFreshReadIsAnsweredWhile1024StreamsAndAThousandIdleConnectionsAreOpen() throws Exception {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            assumeThat(unix.getMaxFileDescriptorCount()).as("descriptors for 2 000 sockets on each side").isGreaterThan(5000);
        }
        SettingsFiles.write(settings, "a.yaml", SETTINGS);
        List<Socket> sockets = new ArrayList<>();
        try (SidecarProcess sidecar = SidecarProcess.start(settings, state)) {
            URI read = sidecar.readUri();
            for (int i = 0; i < 1024; i++) {
                Socket stream = connect(read, sockets);
                stream.getOutputStream().write(request("/v1/watch"));
                String head = readUntil(stream, "watching version");
                assertThat(head).as("stream " + (i + 1)).startsWith("HTTP/1.1 200");
            }
            Socket extra = connect(read, sockets);
            extra.getOutputStream().write(request("/v1/watch"));
            assertThat(readUntil(extra, "}")).as("the streams' own cap").startsWith("HTTP/1.1 503")
                    .contains("too many open watch streams (1024)");

            List<Socket> idle = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                Socket s = connect(read, sockets);
                s.getOutputStream().write(request("/health"));
                assertThat(readUntil(s, "\"ok\"}")).startsWith("HTTP/1.1 200");
                idle.add(s);
            }

            for (int i = 0; i < 5; i++) {
                Socket fresh = connect(read, sockets);
                fresh.getOutputStream().write(request("/v1/settings/a.b/value"));
                String answer = readUntil(fresh, "\r\n\r\n1");
                assertThat(answer).as("fresh read " + (i + 1)).startsWith("HTTP/1.1 200");
            }
            for (int i = 0; i < 5; i++) {
                assertThat(closedByServer(idle.get(i))).as("the idle connection opened " + (i + 1) + ". goes first")
                        .isTrue();
            }
            assertThat(closedByServer(idle.get(999))).as("the newest idle connection stays").isFalse();

            MetricsScrape metrics = MetricsScrape.parse(sidecar.getOps("/metrics").body());
            assertThat(metrics.valueOrZero("crossfade_http_streams", "listener", "read")).isEqualTo(1024);
            // six: the five fresh reads', and the thousandth idle connection's, which closed the kept-alive
            // connection of the refused stream, idle longest by then
            assertThat(closedByServer(extra)).isTrue();
            assertThat(metrics.valueOrZero("crossfade_http_idle_connections_shed_total", "listener", "read"))
                    .isEqualTo(6);
            assertThat(metrics.valueOrZero("crossfade_http_connections", "listener", "read")).isEqualTo(1000);
            assertThat(metrics.valueOrZero("crossfade_http_connections_refused_total", "listener", "read")).isZero();
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void atTheCapTheOldestIdleConnectionGoesAndWithNoneIdleANewOneIsRefused() throws Exception {
        SettingsFiles.write(settings, "a.yaml", SETTINGS);
        List<Socket> sockets = new ArrayList<>();
        try (SidecarProcess sidecar = SidecarProcess.start(settings, state, "--max-connections", "3",
                "--request-timeout", "120s")) {
            URI read = sidecar.readUri();
            List<Socket> idle = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Socket s = connect(read, sockets);
                s.getOutputStream().write(request("/v1/settings/a.b/value"));
                readUntil(s, "\r\n\r\n1");
                idle.add(s);
            }
            // one of the three is busy: a body still to come keeps its request in flight
            idle.get(0).getOutputStream().write(("POST /v1/outcomes HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            awaitIdle(sidecar, 2);

            Socket fourth = connect(read, sockets);
            fourth.getOutputStream().write(request("/v1/settings/a.b/value"));
            assertThat(readUntil(fourth, "\r\n\r\n1")).startsWith("HTTP/1.1 200");
            assertThat(closedByServer(idle.get(1))).as("the oldest idle one, not the busy older one").isTrue();
            assertThat(closedByServer(idle.get(2))).isFalse();

            Socket fifth = connect(read, sockets);
            fifth.getOutputStream().write(request("/v1/settings/a.b/value"));
            assertThat(readUntil(fifth, "\r\n\r\n1")).startsWith("HTTP/1.1 200");
            assertThat(closedByServer(idle.get(2))).isTrue();

            // now: the busy one and two that just read, which are idle again; make those busy too
            for (Socket s : List.of(fourth, fifth)) {
                s.getOutputStream().write(("POST /v1/outcomes HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            }
            awaitIdle(sidecar, 0);
            Socket refused = connect(read, sockets);
            refused.getOutputStream().write(request("/v1/settings/a.b/value"));
            String answer = readUntil(refused, "}");
            assertThat(answer).startsWith("HTTP/1.1 503").contains("--max-connections");
            MetricsScrape metrics = MetricsScrape.parse(sidecar.getOps("/metrics").body());
            assertThat(metrics.valueOrZero("crossfade_http_idle_connections_shed_total", "listener", "read")).isEqualTo(2);
            assertThat(metrics.valueOrZero("crossfade_http_connections_refused_total", "listener", "read")).isEqualTo(1);
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    private static void awaitIdle(SidecarProcess sidecar, int idle) {
        org.awaitility.Awaitility.await("idle connections: " + idle).atMost(java.time.Duration.ofSeconds(30))
                .until(() -> MetricsScrape.parse(sidecar.getOps("/metrics").body())
                        .valueOrZero("crossfade_http_connections_idle", "listener", "read") == idle);
    }

    private static Socket connect(URI uri, List<Socket> all) throws IOException {
        Socket s = new Socket();
        all.add(s);
        s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 30_000);
        s.setSoTimeout(30_000);
        return s;
    }

    private static byte[] request(String path) {
        return ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads from {@code s} until {@code marker} has arrived (or the connection ends); returns all read. */
    private static String readUntil(Socket s, String marker) throws IOException {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        while (!got.toString(StandardCharsets.ISO_8859_1).contains(marker)) {
            int n = in.read(buf);
            if (n < 0) {
                break;
            }
            got.write(buf, 0, n);
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    /** True when the server closed {@code s} (end of stream or reset within 5 s); false while it stays open. */
    private static boolean closedByServer(Socket s) throws IOException {
        s.setSoTimeout(5000);
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketTimeoutException open) {
            return false;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }
}

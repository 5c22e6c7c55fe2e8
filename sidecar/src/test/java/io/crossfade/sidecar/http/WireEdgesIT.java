package io.crossfade.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.sidecar.testing.RawHttp;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HTTP/1.x edges issue 10 (G) found, over a raw socket against the real sidecar: unknown
 * versions, deep pipelining, and broken chunked framing each get an answer in the error shape.
 */
class WireEdgesIT {

    private static final int WAIT_MILLIS = 30_000;

    @TempDir
    static Path settings;
    @TempDir
    static Path state;
    static SidecarProcess sidecar;

    @BeforeAll
    static void start() {
        SettingsFiles.write(settings, "a.yaml", "settings:\n  a.b:\n    value: 1\n");
        sidecar = SidecarProcess.start(settings, state);
    }

    @AfterAll
    static void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/9.9", "FOO/1.0", "HTTP/2.0", "HTTP/1.2"})
    void anUnknownHttpVersionIs505InTheErrorShapeWithoutEchoingIt(String version) {
        for (URI base : List.of(sidecar.readUri(), sidecar.opsUri())) {
            RawHttp.Answer a = RawHttp.exchange(base, "GET /health " + version + "\r\nHost: 127.0.0.1\r\n\r\n", WAIT_MILLIS);
            assertThat(a.status()).as(a.raw()).isEqualTo(505);
            assertThat(a.raw()).startsWith("HTTP/1.1 505").doesNotContain(version);
            assertThat(a.headers().get("content-type")).startsWith("application/json");
            assertThat(a.body()).contains("\"error\":\"bad_request\"", "HTTP/1.1 and HTTP/1.0 only");
        }
    }

    @Test
    void fiveThousandPipelinedRequestsInOneWriteAreAllAnswered() throws Exception {
        String one = "GET /v1/settings/a.b/value HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        String last = "GET /v1/settings/a.b/value HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        byte[] burst = (one.repeat(4_999) + last).getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = new Socket(sidecar.readUri().getHost(), sidecar.readUri().getPort())) {
            socket.setSoTimeout(WAIT_MILLIS);
            // One write of 290 KB, sent from another thread while this one reads the answers: the
            // server stops reading while its answers are not taken, as it should, so a client that
            // only read after writing everything would wait on itself.
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    socket.getOutputStream().write(burst);
                    socket.getOutputStream().flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            String answers = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            sent.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            assertThat(count(answers, "HTTP/1.1 200 OK")).isEqualTo(5_000);
        }
    }

    @Test
    void aBadChunkSizeIs400InTheErrorShapeThenTheConnectionCloses() {
        RawHttp.Answer a = RawHttp.exchangeHeld(sidecar.readUri(), ("POST /v1/outcomes HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII), WAIT_MILLIS);
        assertThat(a.status()).as(a.raw()).isEqualTo(400);
        assertThat(a.headers().get("connection")).isEqualTo("close");
        assertThat(a.body()).contains("\"error\":\"bad_request\"", "chunked body is malformed");
    }

    @Test
    void aBadChunkSizeAfterPipelinedRequestsIsAnsweredInItsTurn() {
        String read = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        RawHttp.Answer a = RawHttp.exchangeHeld(sidecar.readUri(), (read.repeat(3) + "POST /v1/outcomes HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n")
                .getBytes(StandardCharsets.US_ASCII), WAIT_MILLIS);
        assertThat(count(a.raw(), "HTTP/1.1 200 OK")).isEqualTo(3);
        assertThat(a.raw().indexOf("HTTP/1.1 400 Bad Request")).as(a.raw()).isGreaterThan(a.raw().lastIndexOf("200 OK"));
        assertThat(a.raw()).contains("chunked body is malformed");
    }

    private static int count(String text, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}

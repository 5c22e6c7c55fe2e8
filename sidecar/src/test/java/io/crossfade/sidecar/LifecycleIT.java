package io.crossfade.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up refusals and the graceful stop, against the real process. */
class LifecycleIT {

    @TempDir
    Path settings;
    @TempDir
    Path state;

    @BeforeEach
    void files() {
        SettingsFiles.write(settings, "app.yaml", "settings:\n  app.limit:\n    value: 5\n"
                + "migrations:\n  app.limit:\n    to: 6\n    percent: 10\n");
    }

    private SidecarProcess.Result serve(String listen, String opsListen) {
        return SidecarProcess.run(Duration.ofSeconds(120), "serve", "--settings", settings.toString(),
                "--state", state.toString(), "--listen", listen, "--ops-listen", opsListen);
    }

    private List<String> stateFiles() throws Exception {
        try (Stream<Path> files = Files.list(state)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aReadPortInUseNamesTheAddressAndTheFlagAndWritesNoState() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            SidecarProcess.Result r = serve(address, "127.0.0.1:0");

            assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
            assertThat(r.output()).contains("cannot listen on " + address + " (--listen)")
                    .contains("already in use").doesNotContain("error(-98)");
        }
        // no token, no audit event, no state: only the lock file that let it try, without a pid (no
        // sidecar runs there)
        assertThat(stateFiles()).containsExactly("sidecar.pid");
        assertThat(Files.readString(state.resolve("sidecar.pid"))).isBlank();
    }

    @Test
    void anOpsPortInUseNamesTheOpsFlag() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            SidecarProcess.Result r = serve("127.0.0.1:0", address);

            assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
            assertThat(r.output()).contains("cannot listen on " + address + " (--ops-listen)").contains("already in use");
        }
        assertThat(stateFiles()).containsExactly("sidecar.pid");
        assertThat(Files.readString(state.resolve("sidecar.pid"))).isBlank();
    }

    @Test
    void aProxyPortInUseStopsTheStartWithoutWritingAPid() throws Exception {
        try (SidecarProcess earlier = SidecarProcess.start(settings, state)) {
            assertThat(Files.readString(state.resolve("sidecar.pid")).strip()).isEqualTo(String.valueOf(earlier.pid()));
        }
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            SidecarProcess.Result r = SidecarProcess.run(Duration.ofSeconds(120), "serve", "--settings",
                    settings.toString(), "--state", state.toString(), "--listen", "127.0.0.1:0", "--ops-listen",
                    "127.0.0.1:0", "--proxy-listen", address, "--upstream", "http://127.0.0.1:9");

            assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
            assertThat(r.output()).contains("cannot listen on " + address + " (--proxy-listen)");
        }
        // the pid is written once every listener is bound: a start that failed names no process, not
        // even the earlier run's
        assertThat(Files.readString(state.resolve("sidecar.pid"))).isBlank();
    }

    @Test
    void aSecondSidecarOnTheFirstOnesReadPortIsRefusedEvenWithItsOwnState(@TempDir Path otherState) throws Exception {
        try (SidecarProcess first = SidecarProcess.start(settings, state)) {
            String address = "127.0.0.1:" + first.readUri().getPort();

            SidecarProcess.Result second = SidecarProcess.run(Duration.ofSeconds(120), "serve", "--settings",
                    settings.toString(), "--state", otherState.toString(), "--listen", address, "--ops-listen", "127.0.0.1:0");

            assertThat(second.exitCode()).as(second.output()).isEqualTo(1);
            assertThat(second.output()).contains("cannot listen on " + address + " (--listen)").contains("already in use");
        }
    }

    @Test
    void aSecondSidecarOnTheSameStateIsRefusedNamingTheFirstOnesPid() throws Exception {
        try (SidecarProcess first = SidecarProcess.start(settings, state)) {
            String audit = Files.readString(state.resolve("audit.jsonl"));

            SidecarProcess.Result second = serve("127.0.0.1:0", "127.0.0.1:0");

            assertThat(second.exitCode()).as(second.output()).isEqualTo(1);
            assertThat(second.output()).contains("another sidecar (pid " + first.pid() + ") is using the state directory "
                    + state);
            assertThat(Files.readString(state.resolve("audit.jsonl"))).isEqualTo(audit);
            assertThat(first.get("/v1/settings/app.limit/value?unit=u").statusCode()).isEqualTo(200);
        }
        // once the first is gone, the directory is free again
        try (SidecarProcess again = SidecarProcess.start(settings, state)) {
            assertThat(again.getOps("/ready").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void theFirstLogLineNamesTheBoundAddresses() {
        try (SidecarProcess sidecar = SidecarProcess.start(settings, state)) {
            assertThat(sidecar.output().get(0)).contains("listening read=" + sidecar.readUri().getAuthority()
                    + " ops=" + sidecar.opsUri().getAuthority());
        }
    }

    @Test
    void sigtermWhileStillStartingFinishesTheStartThenStopsGracefully() {
        // start() returns at the listening line, which comes before the settings and state are loaded
        SidecarProcess sidecar = SidecarProcess.start(settings, state);
        ProcessHandle.of(sidecar.pid()).orElseThrow().destroy(); // SIGTERM

        int exit = sidecar.stop();
        assertThat(exit).as(String.join("\n", sidecar.output())).isZero();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(sidecar.output()).anyMatch(l -> l.contains("stopped on")));
        assertThat(sidecar.output()).anyMatch(l -> l.contains("stopped on SIGTERM"));
    }

    @Test
    void sigtermAnswersTheRequestInFlightEndsWatchStreamsLogsOneLineAndExitsZero() throws Exception {
        SidecarProcess sidecar = SidecarProcess.start(settings, state);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<InputStream> watch = http.send(HttpRequest.newBuilder(sidecar.readUri().resolve("/v1/watch")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        CompletableFuture<List<String>> streamed = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(watch.body(), StandardCharsets.UTF_8))) {
                return r.lines().toList(); // returns when the sidecar ends the stream
            } catch (Exception e) {
                return List.of("failed: " + e);
            }
        });

        String body = "{\"outcomes\":[{\"key\":\"app.limit\",\"variant\":\"new\",\"ok\":3,\"errors\":0}]}";
        try (Socket socket = new Socket(sidecar.readUri().getHost(), sidecar.readUri().getPort())) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            // a request whose body is still arriving when the signal comes
            out.write(("POST /v1/outcomes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body.substring(0, 10)).getBytes(StandardCharsets.UTF_8));
            out.flush();
            // let the event loop read the head before the signal (not a deadline: a pause that only
            // makes the request truly in flight)
            await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(30)).until(() -> true);
            ProcessHandle.of(sidecar.pid()).orElseThrow().destroy(); // SIGTERM
            // new connections are refused once the listeners stop accepting
            await().atMost(Duration.ofSeconds(30)).until(() -> refused(sidecar));
            out.write(body.substring(10).getBytes(StandardCharsets.UTF_8));
            out.flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 202");
        }

        // the watch stream was ended by the sidecar (the reader saw its end), not cut by the test
        assertThat(streamed.get(60, TimeUnit.SECONDS)).first().asString().startsWith(": watching version ");
        int exit = sidecar.stop();
        assertThat(exit).as(String.join("\n", sidecar.output())).isZero();
        // the output is read by another thread: the process may be gone before its last line is read
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(sidecar.output()).anyMatch(l -> l.contains("stopped on")));
        assertThat(sidecar.output().stream().filter(l -> l.contains("stopped on")).toList())
                .singleElement().asString().contains("stopped on SIGTERM").contains("1 watch stream ended")
                .contains("in-flight requests answered");
    }

    private static boolean refused(SidecarProcess sidecar) {
        try (Socket probe = new Socket(sidecar.readUri().getHost(), sidecar.readUri().getPort())) {
            return false;
        } catch (Exception e) {
            return true;
        }
    }
}

package io.crossfade.sidecar.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsSpec;
import io.crossfade.sidecar.http.Dispatcher;
import io.crossfade.sidecar.http.HttpListener;
import io.crossfade.sidecar.rollout.RolloutController;
import io.crossfade.sidecar.rollout.SourceStatus;
import io.crossfade.sidecar.state.FileMigrationStore;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watch stream in process, with a heartbeat short enough to observe and a bound of two watchers. */
class WatchEndpointTest {

    @TempDir
    Path state;

    private Vertx vertx;
    private RolloutController controller;
    private WatchEndpoint watch;
    private URI base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static SettingsSpec spec(String yaml) throws Exception {
        return new SettingsDirectory().parse(Map.of("a.yaml", yaml.getBytes(StandardCharsets.UTF_8)));
    }

    private static SourceStatus source(String version) {
        return new SourceStatus("directory", "test", version, false, Instant.now(), List.of(), null);
    }

    @BeforeEach
    void start() throws Exception {
        controller = new RolloutController(FileMigrationStore.open(state), Clock.systemUTC());
        controller.start(spec("settings: { a: { value: 1 }, b: { value: 2 } }"), source("v1"));
        watch = new WatchEndpoint(controller, Duration.ofMillis(100), 2);
        vertx = Vertx.vertx();
        HttpListener listener = new HttpListener(SocketAddress.inetSocketAddress(0, "127.0.0.1"),
                HttpListener.defaultOptions(), new Dispatcher(List.of(watch)));
        vertx.deployVerticle(listener).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        base = URI.create("http://127.0.0.1:" + listener.actualPort());
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        controller.close();
    }

    /** An open stream whose lines are collected by a background thread. */
    private final class Stream implements AutoCloseable {
        final HttpResponse<InputStream> response;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Stream() throws Exception {
            response = http.send(HttpRequest.newBuilder(base.resolve("/v1/watch")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (Exception ignored) {
                    // closed by the test
                }
            });
            t.setDaemon(true);
            t.start();
        }

        String next() throws InterruptedException {
            String line = lines.poll(5, TimeUnit.SECONDS);
            assertThat(line).as("a line within 5 s").isNotNull();
            return line;
        }

        @Override
        public void close() throws Exception {
            response.body().close();
        }
    }

    @Test
    void answersAnEventStreamAndSendsAHeartbeatComment() throws Exception {
        try (Stream s = new Stream()) {
            assertThat(s.response.statusCode()).isEqualTo(200);
            assertThat(s.response.headers().firstValue("content-type")).hasValueSatisfying(
                    v -> assertThat(v).startsWith("text/event-stream"));
            assertThat(s.response.headers().firstValue("cache-control")).hasValue("no-cache");
            assertThat(s.next()).startsWith(": watching version ");
            assertThat(s.next()).isEmpty();
            assertThat(s.next()).isEqualTo(": heartbeat");
            assertThat(s.next()).isEmpty();
            assertThat(s.next()).isEqualTo(": heartbeat");
        }
    }

    @Test
    void everyPublishedSnapshotBecomesAChangeEventNamingTheChangedKeys() throws Exception {
        try (Stream s = new Stream()) {
            s.next();
            var published = controller.applySpec(spec("settings: { a: { value: 1 }, b: { value: 3 } }"), source("v2"))
                    .get(5, TimeUnit.SECONDS);
            String line;
            do {
                line = s.next();
            } while (!line.startsWith("event:"));
            assertThat(line).isEqualTo("event: change");
            assertThat(s.next()).isEqualTo("data: {\"version\":" + published.snapshot().version() + ",\"keys\":[\"b\"]}");
            assertThat(s.next()).isEmpty();
        }
    }

    @Test
    void refusesWatchersBeyondTheBoundAndFreesTheSlotOnDisconnect() throws Exception {
        try (Stream first = new Stream(); Stream second = new Stream()) {
            first.next();
            second.next();
            HttpResponse<String> third = http.send(HttpRequest.newBuilder(base.resolve("/v1/watch")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(third.statusCode()).isEqualTo(503);
            assertThat(third.body()).contains("\"error\":\"unavailable\"").contains("/v1/snapshot");
            assertThat(watch.watchers()).isEqualTo(2);

            first.close();
            // the server notices the closed connection at its next write (a heartbeat at the latest)
            await().atMost(Duration.ofSeconds(5)).until(() -> watch.watchers() == 1);
            try (Stream again = new Stream()) {
                assertThat(again.response.statusCode()).isEqualTo(200);
                assertThat(again.next()).startsWith(": watching version ");
            }
        }
    }

    @Test
    void onlyGetIsAllowed() throws Exception {
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(base.resolve("/v1/watch"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET");
        assertThat(watch.watchers()).isZero();
    }
}

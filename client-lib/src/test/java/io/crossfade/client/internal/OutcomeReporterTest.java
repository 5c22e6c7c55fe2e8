package io.crossfade.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.crossfade.client.OutcomeCounts;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Batching, flushing, bounds and retries of outcome reports, against an in-test HTTP receiver. */
class OutcomeReporterTest {

    private static final Duration NEVER = Duration.ofHours(1);

    private HttpServer receiver;
    private final List<JsonNode> batches = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile int status = 202;
    private volatile String instanceId = "host-a";
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private OutcomeReporter reporter;

    @BeforeEach
    void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/v1/outcomes", exchange -> {
            requests.incrementAndGet();
            JsonNode body = new ObjectMapper().readTree(exchange.getRequestBody());
            int answer = status;
            if (answer == 202) {
                batches.add(body);
            }
            exchange.sendResponseHeaders(answer, 2);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("{}".getBytes());
            }
        });
        receiver.start();
    }

    @AfterEach
    void stop() {
        if (reporter != null) {
            reporter.close(Duration.ofSeconds(5));
        }
        receiver.stop(0);
    }

    private URI endpoint() {
        return URI.create("http://127.0.0.1:" + receiver.getAddress().getPort());
    }

    private OutcomeReporter reporter(int capacity, int attempts, Duration interval) {
        reporter = new OutcomeReporter(http, endpoint(), Duration.ofSeconds(2), capacity, io.crossfade.config.WireLimits.MAX_OUTCOMES_PER_REQUEST,
                attempts, interval, () -> instanceId);
        return reporter;
    }

    private int received() {
        return batches.stream().mapToInt(b -> b.get("outcomes").size()).sum();
    }

    @Test
    void sendsTheDesignFormatInBatchesOfAtMostAThousand() {
        OutcomeReporter r = reporter(10_000, 3, NEVER);
        for (int i = 0; i < 2_500; i++) {
            r.record("db.pool.size", "user-" + i, i % 10 != 0);
        }
        r.close(Duration.ofSeconds(10));

        assertThat(batches).extracting(b -> b.get("outcomes").size()).containsExactly(1000, 1000, 500);
        JsonNode first = batches.get(0).get("outcomes").get(0);
        assertThat(first.toString()).isEqualTo("{\"key\":\"db.pool.size\",\"unit\":\"user-0\",\"ok\":false}");
        assertThat(batches.get(2).get("outcomes").get(499).get("unit").asText()).isEqualTo("user-2499");
        assertThat(r.counts()).isEqualTo(new OutcomeCounts(2_500, 2_500, 0, 0, 0));
    }

    @Test
    void aFullBatchIsSentWithoutWaitingForTheInterval() {
        OutcomeReporter r = reporter(10_000, 3, NEVER);
        for (int i = 0; i < 1_000; i++) {
            r.record("a", "u" + i, true);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> received() == 1_000);
    }

    @Test
    void queuedOutcomesAreSentOnTheIntervalWithoutAFullBatch() {
        OutcomeReporter r = new OutcomeReporter(http, endpoint(), Duration.ofSeconds(2), 100, 1000, 3, Duration.ofSeconds(1),
                () -> instanceId);
        reporter = r;
        r.record("a", "u1", true);
        r.record("a", null, false);
        await().atMost(Duration.ofSeconds(30)).until(() -> received() == 2);
        assertThat(batches.get(0).get("outcomes").get(1).toString())
                .as("no unit means the sidecar's instance id").isEqualTo("{\"key\":\"a\",\"unit\":\"host-a\",\"ok\":false}");
    }

    @Test
    void outcomesWithoutAUnitFailWhileTheInstanceIdIsUnknownAndTheOthersStillGo() {
        instanceId = null;
        OutcomeReporter r = reporter(100, 3, NEVER);
        r.record("a", null, true);
        r.record("a", "u1", true);
        r.close(Duration.ofSeconds(5));
        assertThat(batches).hasSize(1);
        assertThat(batches.get(0).toString()).isEqualTo("{\"outcomes\":[{\"key\":\"a\",\"unit\":\"u1\",\"ok\":true}]}");
        assertThat(r.counts()).isEqualTo(new OutcomeCounts(2, 1, 0, 1, 0));
    }

    @Test
    void closeSendsWhatIsStillQueued() {
        OutcomeReporter r = reporter(100, 3, NEVER);
        r.record("a", "u", true);
        r.close(Duration.ofSeconds(5));
        assertThat(received()).isEqualTo(1);
        assertThat(r.record("a", "u", true)).as("recording after close").isFalse();
        assertThat(r.counts()).isEqualTo(new OutcomeCounts(2, 1, 1, 0, 0));
    }

    @Test
    void aFullQueueDropsNewOutcomesAndCountsThem() {
        OutcomeReporter r = reporter(10, 3, NEVER);
        int accepted = 0;
        for (int i = 0; i < 15; i++) {
            accepted += r.record("a", "u" + i, true) ? 1 : 0;
        }
        assertThat(accepted).isEqualTo(10);
        assertThat(r.counts()).isEqualTo(new OutcomeCounts(15, 0, 5, 0, 10));
    }

    @Test
    void outcomesTheSidecarCouldNeverAcceptAreDroppedAtOnce() {
        OutcomeReporter r = reporter(10, 3, NEVER);
        assertThat(r.record("Not A Key", "u", true)).isFalse();
        assertThat(r.record(null, "u", true)).isFalse();
        assertThat(r.record("a", "x".repeat(257), true)).isFalse();
        assertThat(r.counts().dropped()).isEqualTo(3);
        assertThat(r.counts().queued()).isZero();
    }

    @Test
    void aBatchTheSidecarCannotTakeIsRetriedABoundedNumberOfTimes() {
        status = 503;
        OutcomeReporter r = reporter(100, 3, Duration.ofMillis(50));
        r.record("a", "u", true);
        r.record("a", "v", false);
        await().atMost(Duration.ofSeconds(30)).until(() -> r.counts().failed() == 2);
        assertThat(requests.get()).isEqualTo(3);
        assertThat(r.counts()).isEqualTo(new OutcomeCounts(2, 0, 0, 2, 0));
    }

    @Test
    void aBatchIsDeliveredWhenTheSidecarRecoversWithinTheAttempts() {
        status = 503;
        OutcomeReporter r = reporter(100, 5, Duration.ofMillis(50));
        r.record("a", "u", true);
        await().atMost(Duration.ofSeconds(30)).until(() -> requests.get() >= 2);
        status = 202;
        await().atMost(Duration.ofSeconds(30)).until(() -> r.counts().sent() == 1);
        assertThat(r.counts().failed()).isZero();
    }

    @Test
    void aRefusedBatchIsNotRetried() {
        status = 400;
        OutcomeReporter r = reporter(100, 3, Duration.ofMillis(50));
        r.record("a", "u", true);
        await().atMost(Duration.ofSeconds(30)).until(() -> r.counts().failed() == 1);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(30)).until(() -> requests.get() == 1);
    }

    @Test
    void anUnreachableSidecarCountsFailuresAndNeverThrows() {
        receiver.stop(0);
        OutcomeReporter r = reporter(100, 2, Duration.ofMillis(50));
        r.record("a", "u", true);
        await().atMost(Duration.ofSeconds(30)).until(() -> r.counts().failed() == 1);
        assertThat(r.counts().sent()).isZero();
    }
}

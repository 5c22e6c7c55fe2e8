package io.crossfade.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.client.internal.SnapshotFollower;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The follower's failure paths that need shorter limits than the client's. */
class SnapshotFollowerTest {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private FakeSidecar sidecar;
    private SnapshotFollower follower;

    @AfterEach
    void stop() {
        if (follower != null) {
            follower.close();
        }
        scheduler.shutdownNow();
        sidecar.close();
    }

    @Test
    void aSilentStreamCountsAsDroppedAndIsReplaced() throws Exception {
        sidecar = new FakeSidecar(); // its stream says hello once, then nothing: no heartbeats
        sidecar.publish(FakeSidecar.document(1, "settings: { a: { value: 1 } }"));
        AtomicInteger swaps = new AtomicInteger();
        follower = new SnapshotFollower(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), sidecar.uri(),
                Duration.ofSeconds(2), scheduler, Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(300),
                doc -> swaps.incrementAndGet());
        follower.start();
        assertThat(follower.awaitReady(Duration.ofSeconds(30))).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> sidecar.watchRequests.get() >= 3);
        assertThat(follower.current().snapshot().version()).isEqualTo(1);
        assertThat(follower.lastProblem()).contains("silent for over 300 ms");
        assertThat(swaps.get()).as("the same version is not swapped in again").isEqualTo(1);
    }

    @Test
    void aWatchRequestThatIsNeverAnsweredIsAbandonedAndTheSnapshotStillLoads() throws Exception {
        sidecar = new FakeSidecar();
        sidecar.watchHangs = true;
        sidecar.publish(FakeSidecar.document(1, "settings: { a: { value: 1 } }"));
        follower = new SnapshotFollower(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), sidecar.uri(),
                Duration.ofMillis(300), scheduler, Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofSeconds(45),
                doc -> { });
        follower.start();
        assertThat(follower.awaitReady(Duration.ofSeconds(30))).as("loaded without the stream").isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> sidecar.watchRequests.get() >= 2);
        assertThat(follower.lastProblem()).contains("GET /v1/watch did not answer within 300 ms");
        sidecar.publish(FakeSidecar.document(2, "settings: { a: { value: 2 } }"));
        await().atMost(Duration.ofSeconds(30)).until(() -> follower.current().snapshot().version() == 2);
    }

    @Test
    void aDocumentTheClientCannotReadKeepsTheLastGoodSnapshot() throws Exception {
        sidecar = new FakeSidecar();
        sidecar.watchAvailable = false;
        sidecar.publish(FakeSidecar.document(1, "settings: { a: { value: 1 } }"));
        follower = new SnapshotFollower(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), sidecar.uri(),
                Duration.ofSeconds(2), scheduler, Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofSeconds(45),
                doc -> { });
        follower.start();
        assertThat(follower.awaitReady(Duration.ofSeconds(30))).isTrue();
        sidecar.serveRaw("{\"version\": 2, \"settings\": {}}");
        // lastProblem alternates with the watch stream's 404 (no watch here): judge one reading of it
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            String problem = follower.lastProblem();
            return problem.contains("cannot read") && problem.contains("'instanceId' must be a string");
        });
        assertThat(follower.current().snapshot().version()).isEqualTo(1);
    }
}

package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guard end to end, against the real jar over HTTP, for minutes (tagged slow): traffic of
 * 1 000 req/s with 10 % on new, posted as aggregated outcomes every 200 ms of wall-clock time
 * (Poisson counts, like the simulator's), through a short 10 s guard window.
 *
 * <p>Time is counted in traffic fed, not in wall-clock seconds: on a loaded machine the feeder may
 * fall behind, and what the guard judges is outcomes, so "halts within a minute" means "within a
 * minute's worth of traffic".
 */
@Tag("slow")
class GuardSoakIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "db.pool.size";
    private static final double RATE = 1000;
    private static final long LOOK_MILLIS = 200;

    @TempDir
    Path settings;

    @TempDir
    Path state;

    private SidecarProcess sidecar;

    @AfterEach
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    private void start() throws IOException {
        Files.writeString(settings.resolve("checkout.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                migrations:
                  db.pool.size:
                    to: 20
                    percent: 10
                    guard: { minSamples: 100, window: 10s }
                """);
        sidecar = SidecarProcess.start(settings, state);
    }

    /** Posts one look's worth of traffic; returns how many outcomes the sidecar dropped (not running). */
    private long feed(SplittableRandom random, double oldRate, double newRate) throws IOException {
        double perLook = RATE * LOOK_MILLIS / 1000.0;
        double onNew = perLook * 0.10;
        double onOld = perLook - onNew;
        long newErrors = GuardSimulator.poisson(random, onNew * newRate);
        long newOk = GuardSimulator.poisson(random, onNew * (1 - newRate));
        long oldErrors = GuardSimulator.poisson(random, onOld * oldRate);
        long oldOk = GuardSimulator.poisson(random, onOld * (1 - oldRate));
        String body = String.format("{\"outcomes\":[{\"key\":\"%s\",\"variant\":\"old\",\"ok\":%d,\"errors\":%d},"
                + "{\"key\":\"%s\",\"variant\":\"new\",\"ok\":%d,\"errors\":%d}]}", KEY, oldOk, oldErrors, KEY, newOk,
                newErrors);
        HttpResponse<String> answer = sidecar.post("/v1/outcomes", body);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        return JSON.readTree(answer.body()).get("dropped").asLong();
    }

    private String state() throws IOException {
        return JSON.readTree(sidecar.getOps("/ready").body()).get("migrations").get(KEY).get("state").asText();
    }

    private static void pace(long started, long looks) throws InterruptedException {
        long due = started + looks * LOOK_MILLIS;
        long wait = due - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait); // keeps the feed at the traffic's real pace; not a wait for a result
        }
    }

    @Test
    void aaTrafficForThreeMinutesIsNeverHalted() throws Exception {
        start();
        SplittableRandom random = new SplittableRandom(2026);
        long started = System.currentTimeMillis();
        long looks = Duration.ofMinutes(3).toMillis() / LOOK_MILLIS;
        for (long i = 1; i <= looks; i++) {
            assertThat(feed(random, 0.01, 0.01)).as("outcomes dropped: the migration stopped at look %d", i).isZero();
            pace(started, i);
        }
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30)).until(() -> state().equals("running"));
        JsonNode guard = JSON.readTree(sidecar.getOps("/ready").body()).get("migrations").get(KEY).get("guard");
        assertThat(guard.get("status").asText()).isEqualTo("healthy");
        assertThat(guard.at("/evidence/percentToHalt").asInt()).isLessThan(100);
        assertThat(guard.at("/evidence/since/new/ok").asLong()).isGreaterThan(10_000);
    }

    @Test
    void aThreeTimesRegressionHaltsWithinAMinuteOfTraffic() throws Exception {
        start();
        SplittableRandom random = new SplittableRandom(2027);
        long started = System.currentTimeMillis();
        long looks = Duration.ofMinutes(1).toMillis() / LOOK_MILLIS;
        long fed = 0;
        boolean stopped = false;
        for (long i = 1; i <= looks && !stopped; i++) {
            stopped = feed(random, 0.01, 0.03) > 0;
            fed = i;
            pace(started, i);
        }
        // the halt may still be on its way to disk when the last batch went in
        await().atMost(Duration.ofSeconds(30)).until(() -> state().equals("halted"));
        assertThat(fed * LOOK_MILLIS).as("milliseconds of traffic fed").isLessThanOrEqualTo(60_000);
        JsonNode guard = JSON.readTree(sidecar.getOps("/ready").body()).get("migrations").get(KEY).get("guard");
        assertThat(guard.at("/lastTrip/reason").asText())
                .startsWith("guard tripped: the new value fails more often than the old one");
    }
}

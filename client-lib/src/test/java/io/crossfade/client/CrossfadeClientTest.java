package io.crossfade.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.Bucketing;
import io.crossfade.config.Variant;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client's contract against a stand-in sidecar; the real one is in the integration tests. */
class CrossfadeClientTest {

    record Banner(String text, String color) {
    }

    private static final String SETTINGS = """
            settings:
              pool: { value: 10 }
              ratio: { value: 0.25 }
              big: { value: 3000000000 }
              enabled: { value: true }
              model: { value: bm25 }
              banner: { value: { text: hi, color: "#0a7" } }
            migrations:
              pool: { to: 20, percent: 50 }
            """;

    private FakeSidecar sidecar;
    private CrossfadeClient client;

    @BeforeEach
    void start() throws Exception {
        sidecar = new FakeSidecar();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        sidecar.close();
    }

    private CrossfadeClient connect(CrossfadeClient.Builder builder) {
        client = builder.endpoint(sidecar.uri()).build();
        assertThat(client.awaitReady(Duration.ofSeconds(30))).as("ready").isTrue();
        return client;
    }

    private static URI nothingListening() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }

    @Test
    void typedGettersReadTheSnapshot() {
        sidecar.publish(FakeSidecar.document(1, SETTINGS));
        CrossfadeClient c = connect(CrossfadeClient.builder());
        assertThat(c.getDouble("ratio", 0)).isEqualTo(0.25);
        assertThat(c.getLong("big", 0)).isEqualTo(3_000_000_000L);
        assertThat(c.getBoolean("enabled", false)).isTrue();
        assertThat(c.getString("model", "x")).isEqualTo("bm25");
        assertThat(c.get("banner", Banner.class, null)).isEqualTo(new Banner("hi", "#0a7"));
        assertThat(c.get("banner", Map.class, Map.of())).containsEntry("text", "hi");
        assertThat(c.get("pool", int.class, 0, "user-1")).isIn(10, 20);
        assertThat(c.snapshotVersion()).isEqualTo(1);
    }

    @Test
    void aUnitGetsTheSideTheBucketingRuleGivesIt() {
        sidecar.publish(FakeSidecar.document(1, SETTINGS));
        CrossfadeClient c = connect(CrossfadeClient.builder());
        int onNew = 0;
        for (int u = 0; u < 1_000; u++) {
            String unit = "user-" + u;
            boolean isNew = Bucketing.isNew("pool", unit, 50_000);
            assertThat(c.getInt("pool", -1, unit)).isEqualTo(isNew ? 20 : 10);
            assertThat(c.details("pool", unit).variant()).isEqualTo(isNew ? Variant.NEW : Variant.OLD);
            onNew += isNew ? 1 : 0;
        }
        assertThat(onNew).isBetween(400, 600);
    }

    @Test
    void readsWithoutAUnitUseTheDefaultUnitElseTheSidecarsInstanceId() {
        sidecar.publish(FakeSidecar.document(1, SETTINGS));
        CrossfadeClient c = connect(CrossfadeClient.builder());
        assertThat(c.details("pool").variant()).isEqualTo(Bucketing.variant("pool", "fake-instance", 50_000));
        assertThat(c.getInt("pool", -1)).isEqualTo(c.getInt("pool", -1, "fake-instance"));
        assertThat(c.getInt("pool", -1, "")).isEqualTo(c.getInt("pool", -1, "fake-instance"));
        c.close();

        String unit = java.util.stream.IntStream.range(0, 100).mapToObj(i -> "svc-" + i)
                .filter(u -> Bucketing.isNew("pool", u, 50_000) != Bucketing.isNew("pool", "fake-instance", 50_000))
                .findFirst().orElseThrow();
        CrossfadeClient withUnit = connect(CrossfadeClient.builder().defaultUnit(unit));
        assertThat(withUnit.getInt("pool", -1)).isEqualTo(withUnit.getInt("pool", -1, unit))
                .isNotEqualTo(withUnit.getInt("pool", -1, "fake-instance"));
    }

    @Test
    void detailsSayWhereAValueCameFrom() {
        sidecar.publish(FakeSidecar.document(7, SETTINGS));
        CrossfadeClient c = connect(CrossfadeClient.builder());
        Details<JsonNode> model = c.details("model", "u");
        assertThat(model).isEqualTo(new Details<>("model", model.value(), Variant.STATIC, 7, false, ErrorCode.NONE, null));
        assertThat(model.value().asText()).isEqualTo("bm25");

        Details<Integer> missing = c.details("nope", Integer.class, 5, "u");
        assertThat(missing.value()).isEqualTo(5);
        assertThat(missing.fallback()).isTrue();
        assertThat(missing.errorCode()).isEqualTo(ErrorCode.SETTING_NOT_FOUND);
        assertThat(missing.errorMessage()).isEqualTo("no setting named nope in snapshot 7");
        assertThat(missing.version()).isEqualTo(7);
        assertThat(missing.variant()).isNull();
        assertThat(c.details("nope", "u").value()).isNull();
    }

    @Test
    void aValueOfAnotherTypeGivesTheDefaultAndTypeMismatch() {
        sidecar.publish(FakeSidecar.document(1, SETTINGS));
        CrossfadeClient c = connect(CrossfadeClient.builder());
        assertThat(c.getInt("model", 3)).isEqualTo(3);
        assertThat(c.getString("pool", "d")).isEqualTo("d");
        assertThat(c.getInt("ratio", 3)).isEqualTo(3);
        assertThat(c.getInt("big", 3)).isEqualTo(3);
        assertThat(c.getBoolean("model", true)).isTrue();
        Details<Integer> d = c.details("model", Integer.class, 3, null);
        assertThat(d.errorCode()).isEqualTo(ErrorCode.TYPE_MISMATCH);
        assertThat(d.errorMessage()).isEqualTo("model: expected a whole number that fits an int, found string \"bm25\"");
        assertThat(d.fallback()).isTrue();
        assertThat(c.details("banner", Integer.class, 1, null).errorCode()).isEqualTo(ErrorCode.TYPE_MISMATCH);
    }

    @Test
    void badArgumentsGiveTheDefaultInsteadOfThrowing() {
        sidecar.publish(FakeSidecar.document(1, SETTINGS));
        CrossfadeClient c = connect(CrossfadeClient.builder());
        assertThat(c.getInt(null, 4)).isEqualTo(4);
        assertThat(c.get("pool", null, "x")).isEqualTo("x");
        assertThat(c.getString("Not A Key", "d")).isEqualTo("d");
        assertThat(c.details(null, "u").errorCode()).isEqualTo(ErrorCode.SETTING_NOT_FOUND);
        assertThat(c.details("pool", null, 1, "u").errorCode()).isEqualTo(ErrorCode.TYPE_MISMATCH);
    }

    @Test
    void withNoSidecarGettersReturnDefaultsAtOnceAndSayNotReady() throws Exception {
        client = CrossfadeClient.builder().endpoint(nothingListening()).build();
        assertThat(client.getInt("pool", 42, "u")).isEqualTo(42);
        assertThat(client.getString("model", "d")).isEqualTo("d");
        Details<Integer> d = client.details("pool", Integer.class, 42, "u");
        assertThat(d.errorCode()).isEqualTo(ErrorCode.NOT_READY);
        assertThat(d.fallback()).isTrue();
        assertThat(d.version()).isZero();
        assertThat(d.errorMessage()).startsWith("no settings loaded yet from " + client.endpoint());
        assertThat(client.isReady()).isFalse();
        assertThat(client.awaitReady(Duration.ofMillis(200))).isFalse();
    }

    @Test
    void gettersNeverWaitForASidecarThatDoesNotAnswer() throws Exception {
        // the kernel accepts the connection into the backlog; nothing ever answers the request
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            client = CrossfadeClient.builder().endpoint(URI.create("http://127.0.0.1:" + silent.getLocalPort()))
                    .requestTimeout(Duration.ofSeconds(120)).build();
            long start = System.nanoTime();
            assertThat(client.getInt("pool", 42, "u")).isEqualTo(42);
            assertThat(client.details("model", "u").errorCode()).isEqualTo(ErrorCode.NOT_READY);
            // a getter that waited for the sidecar would wait out the 120 s request timeout; the
            // bound is far from both that and a loaded machine's worst pause
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        }
    }

    @Test
    void aChangeEventSwapsInTheNewSnapshot() {
        sidecar.publish(FakeSidecar.document(1, SETTINGS));
        CrossfadeClient c = connect(CrossfadeClient.builder());
        await().atMost(Duration.ofSeconds(30)).until(c::isConnected);
        sidecar.publish(FakeSidecar.document(2, SETTINGS.replace("bm25", "bert")));
        await().atMost(Duration.ofSeconds(30)).until(() -> c.getString("model", "d").equals("bert"));
        assertThat(c.snapshotVersion()).isEqualTo(2);
    }

    @Test
    void whenTheStreamDropsTheClientReconnectsAndRereads() {
        sidecar.publish(FakeSidecar.document(1, SETTINGS));
        CrossfadeClient c = connect(CrossfadeClient.builder());
        await().atMost(Duration.ofSeconds(30)).until(() -> sidecar.openStreams() == 1);
        sidecar.dropStreams();
        // changed while the client had no stream: no event will ever tell it
        sidecar.replaceSilently(FakeSidecar.document(2, SETTINGS.replace("bm25", "bert")));
        await().atMost(Duration.ofSeconds(30)).until(() -> c.getString("model", "d").equals("bert"));
        await().atMost(Duration.ofSeconds(30)).until(() -> sidecar.openStreams() == 1 && c.isConnected());
    }

    @Test
    void withoutAWatchStreamTheClientPollsTheSnapshot() {
        sidecar.watchAvailable = false;
        sidecar.publish(FakeSidecar.document(1, SETTINGS));
        CrossfadeClient c = connect(CrossfadeClient.builder());
        assertThat(c.isConnected()).isFalse();
        sidecar.publish(FakeSidecar.document(2, SETTINGS.replace("bm25", "bert")));
        await().atMost(Duration.ofSeconds(30)).until(() -> c.getString("model", "d").equals("bert"));
        // It keeps polling (a later change arrives without a stream) and does not hammer the sidecar:
        // the backoff doubles from 50 ms to its 2 s cap with delays of at least half a step, so after
        // at most 7 quicker polls there is at most one a second (a bound a slow machine only makes
        // easier to meet).
        int polls = sidecar.snapshotRequests.get();
        long started = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).until(() -> sidecar.snapshotRequests.get() >= polls + 3);
        sidecar.publish(FakeSidecar.document(3, SETTINGS.replace("bm25", "splade")));
        await().atMost(Duration.ofSeconds(30)).until(() -> c.getString("model", "d").equals("splade"));
        long elapsedMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(sidecar.snapshotRequests.get() - polls).as("polls in %d ms", elapsedMillis)
                .isLessThanOrEqualTo(7 + (int) (elapsedMillis / 1000));
    }

    @Test
    void whenTheSidecarGoesAwayTheLastValuesKeepServing() {
        sidecar.publish(FakeSidecar.document(1, SETTINGS));
        CrossfadeClient c = connect(CrossfadeClient.builder());
        await().atMost(Duration.ofSeconds(30)).until(c::isConnected);
        sidecar.close();
        assertThat(c.getString("model", "d")).isEqualTo("bm25");
        await().atMost(Duration.ofSeconds(30)).until(() -> !c.isConnected());
        assertThat(c.getString("model", "d")).isEqualTo("bm25");
        assertThat(c.details("model", "u").errorCode()).isEqualTo(ErrorCode.NONE);
    }

    @Test
    void aClosedClientKeepsAnsweringFromItsLastSnapshotAndDropsOutcomes() {
        sidecar.publish(FakeSidecar.document(1, SETTINGS));
        CrossfadeClient c = connect(CrossfadeClient.builder());
        assertThat(c.recordOutcome("pool", "u", true)).isTrue();
        c.close();
        assertThat(sidecar.outcomeBatches).hasSize(1);
        assertThat(c.getString("model", "d")).isEqualTo("bm25");
        assertThat(c.recordOutcome("pool", "u", true)).isFalse();
        assertThat(c.outcomes()).isEqualTo(new OutcomeCounts(2, 1, 1, 0, 0));
        c.close();
    }

    @Test
    void outcomesWithoutAUnitUseTheDefaultUnit() {
        sidecar.publish(FakeSidecar.document(1, SETTINGS));
        CrossfadeClient c = connect(CrossfadeClient.builder().defaultUnit("svc-1"));
        c.recordOutcome("pool", null, false);
        c.recordOutcome("pool", "user-9", true);
        c.close();
        assertThat(sidecar.outcomeBatches.get(0).toString()).isEqualTo(
                "{\"outcomes\":[{\"key\":\"pool\",\"unit\":\"svc-1\",\"ok\":false},{\"key\":\"pool\",\"unit\":\"user-9\",\"ok\":true}]}");
    }

    @Test
    void outcomesWithoutAnyUnitGoAsTheSidecarsInstanceId() {
        sidecar.publish(FakeSidecar.document(1, SETTINGS));
        CrossfadeClient c = connect(CrossfadeClient.builder());
        c.recordOutcome("pool", "", true);
        c.close();
        assertThat(sidecar.outcomeBatches.get(0).toString()).isEqualTo(
                "{\"outcomes\":[{\"key\":\"pool\",\"unit\":\"fake-instance\",\"ok\":true}]}");
    }

    @Test
    void theBuilderRefusesOptionsThatCannotWork() {
        assertThatThrownBy(() -> CrossfadeClient.builder().endpoint(URI.create("localhost:7070")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("endpoint");
        assertThatThrownBy(() -> CrossfadeClient.builder().endpoint(URI.create("http://127.0.0.1:7070/v1")).build())
                .hasMessageContaining("root");
        assertThatThrownBy(() -> CrossfadeClient.builder().requestTimeout(Duration.ZERO).build())
                .hasMessageContaining("requestTimeout");
        assertThatThrownBy(() -> CrossfadeClient.builder().connectTimeout(Duration.ofSeconds(-1)).build())
                .hasMessageContaining("connectTimeout");
        assertThatThrownBy(() -> CrossfadeClient.builder().defaultUnit("").build()).hasMessageContaining("defaultUnit");
        assertThatThrownBy(() -> CrossfadeClient.builder().defaultUnit("u".repeat(257)).build())
                .hasMessageContaining("defaultUnit");
        assertThatThrownBy(() -> CrossfadeClient.builder().outcomeQueueCapacity(0).build())
                .hasMessageContaining("outcomeQueueCapacity");
        assertThatThrownBy(() -> CrossfadeClient.builder().cacheSize(0).build()).hasMessageContaining("cacheSize");
    }
}

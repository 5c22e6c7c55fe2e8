package io.crossfade.sidecar.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.config.Bucketing;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.testing.EtcdCluster;
import io.crossfade.sidecar.testing.FleetSidecars;
import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhook notifications from the real sidecar to a local HTTP receiver: a guard halt arrives signed,
 * a receiver that is down gets the change once it is back, a restart (kill -9) in between loses
 * nothing, and a fleet sends each change once.
 */
class NotificationsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "db.pool.size";
    private static final String SECRET = "webhook-shared-secret";
    private static final String FILES = """
            settings:
              db.pool.size: { value: 10 }
            migrations:
              db.pool.size:
                to: 20
                percent: 10
                guard: { minSamples: 200, window: 5s, action: halt }
            """;

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    private Path settings() throws Exception {
        Path settings = Files.createDirectories(dir.resolve("settings"));
        Files.writeString(settings.resolve("checkout.yaml"), FILES);
        return settings;
    }

    private static String hmac(String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }

    private static JsonNode ready(SidecarProcess sidecar) throws Exception {
        return JSON.readTree(sidecar.getOps("/ready").body());
    }

    private static void pause(SidecarProcess sidecar, String reason) {
        assertThat(sidecar.adminPost("/admin/v1/migrations/" + KEY + "/pause", "{\"reason\":\"" + reason + "\"}")
                .statusCode()).isEqualTo(200);
    }

    @Test
    void aGuardHaltIsDeliveredSignedWithTheAuditEventAndASentence() throws Exception {
        WebhookReceiver receiver = keep(WebhookReceiver.start(0));
        Path secret = Files.writeString(dir.resolve("notify.secret"), SECRET + "\n");
        SidecarProcess sidecar = keep(SidecarProcess.start(settings(), dir.resolve("state"), "--notify-url",
                receiver.url(), "--notify-secret-file", secret.toString(), "--instance-id", "checkout-7d9f"));

        ArrayNode outcomes = JSON.createArrayNode();
        perUnit(outcomes, Variant.NEW, 300, 0.30);
        perUnit(outcomes, Variant.OLD, 700, 0.01);
        ObjectNode body = JSON.createObjectNode();
        body.set("outcomes", outcomes);
        assertThat(sidecar.post("/v1/outcomes", body.toString()).statusCode()).isEqualTo(202);

        WebhookReceiver.Received halt = await().atMost(Duration.ofSeconds(30)).until(
                () -> receiver.received().stream().filter(r -> "halt".equals(r.header("X-Crossfade-Event"))).findFirst(),
                java.util.Optional::isPresent).orElseThrow();
        assertThat(halt.path()).isEqualTo("/hooks/crossfade");
        assertThat(halt.header("X-Crossfade-Signature")).isEqualTo(hmac(halt.text()));
        assertThat(halt.header("Content-Type")).startsWith("application/json");
        JsonNode event = JSON.readTree(halt.body());
        assertThat(event.get("action").asText()).isEqualTo("halt");
        assertThat(event.get("actor").asText()).isEqualTo("guard");
        assertThat(event.get("key").asText()).isEqualTo(KEY);
        assertThat(event.get("seq").asLong()).isPositive();
        assertThat(halt.header("X-Crossfade-Delivery")).isEqualTo(event.get("seq").asLong() + "-"
                + java.time.Instant.parse(event.get("time").asText()).toEpochMilli() + "-0");
        assertThat(event.get("reason").asText()).startsWith("guard tripped:");
        assertThat(event.get("text").asText()).startsWith("Crossfade halted db.pool.size at 10 %: the new value's")
                .contains("new 30.00 % (90 of 300) vs old 1.00 % (7 of 700)").endsWith("(instance checkout-7d9f)");

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode n = ready(sidecar).get("notifications");
            assertThat(n.get("delivered").asLong()).isEqualTo(1);
            assertThat(n.get("pending").asLong()).isZero();
        });
        MetricsScrape metrics = MetricsScrape.parse(sidecar.getOps("/metrics").body());
        assertThat(metrics.valueOrZero("crossfade_notifications_total", "result", "delivered")).isEqualTo(1);
        assertThat(metrics.valueOrZero("crossfade_notifications_total", "result", "failed")).isZero();
    }

    @Test
    void aReceiverDownForThirtySecondsGetsTheChangeWhenItIsBack() throws Exception {
        int port = WebhookReceiver.freePort();
        SidecarProcess sidecar = keep(SidecarProcess.start(settings(), dir.resolve("state"), "--notify-url",
                "http://127.0.0.1:" + port + "/hooks/crossfade", "--notify-format", "slack", "--instance-id", "pod-1"));
        long downSince = System.nanoTime();
        pause(sidecar, "checking the pool");

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode n = ready(sidecar).get("notifications");
            assertThat(n.get("failed").asLong()).isPositive();
            assertThat(n.get("pending").asLong()).isEqualTo(1);
            assertThat(n.get("lastError").asText()).startsWith("http://127.0.0.1:" + port + "/…: ");
        });
        assertThat(MetricsScrape.parse(sidecar.getOps("/metrics").body())
                .valueOrZero("crossfade_notifications_total", "result", "failed")).isPositive();
        // reads are served meanwhile
        assertThat(sidecar.get("/v1/settings/" + KEY + "?unit=u1").statusCode()).isEqualTo(200);

        // the receiver comes up after 30 s on the port the sidecar posts to
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200))
                .until(() -> System.nanoTime() - downSince >= Duration.ofSeconds(30).toNanos());
        WebhookReceiver receiver = keep(WebhookReceiver.start(port));
        // backoff doubles from 1 s: the next attempt comes at most ~32 s after the receiver is back
        await().atMost(Duration.ofSeconds(60)).until(() -> !receiver.received().isEmpty());
        WebhookReceiver.Received got = receiver.received().get(0);
        assertThat(JSON.readTree(got.body()).fieldNames()).toIterable().containsExactly("text");
        assertThat(JSON.readTree(got.body()).get("text").asText())
                .isEqualTo("admin paused db.pool.size at 10 %: checking the pool (instance pod-1)");
        assertThat(got.header("X-Crossfade-Signature")).as("unsigned without --notify-secret-file").isNull();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(ready(sidecar).at("/notifications/pending").asLong()).isZero());
        assertThat(receiver.received()).hasSize(1);
    }

    @Test
    void aRestartWhileTheReceiverIsDownLosesNothing() throws Exception {
        int port = WebhookReceiver.freePort();
        String[] args = {"--notify-url", "http://127.0.0.1:" + port + "/hooks/crossfade"};
        Path settings = settings();
        SidecarProcess first = SidecarProcess.start(settings, dir.resolve("state"), args);
        try {
            pause(first, "before the restart");
            assertThat(first.adminPost("/admin/v1/migrations/" + KEY + "/resume", "{\"reason\":\"carry on\"}")
                    .statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                JsonNode n = ready(first).get("notifications");
                assertThat(n.get("failed").asLong()).isPositive();
                assertThat(n.get("pending").asLong()).isEqualTo(2);
            });
            first.kill9();
        } finally {
            first.close();
        }

        WebhookReceiver receiver = keep(WebhookReceiver.start(port));
        SidecarProcess second = keep(SidecarProcess.start(settings, dir.resolve("state"), args));
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received().size() >= 2);
        assertThat(receiver.received()).extracting(r -> r.header("X-Crossfade-Event")).containsExactly("pause", "resume");
        assertThat(receiver.received()).extracting(r -> r.header("X-Crossfade-Delivery")).doesNotHaveDuplicates();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(ready(second).at("/notifications/pending").asLong()).isZero());
        assertThat(receiver.received()).hasSize(2);
    }

    @Test
    void aFleetSendsEachChangeOnceFromTheSidecarThatMadeIt() throws Exception {
        Assumptions.assumeTrue(EtcdCluster.available(), "etcd is not installed (apt-get install etcd-server)");
        EtcdCluster etcd = keep(EtcdCluster.start(dir.resolve("etcd"), 1));
        WebhookReceiver receiver = keep(WebhookReceiver.start(0));
        FleetSidecars fleet = new FleetSidecars("notify", FILES, etcd.endpoints())
                .withAdminToken(FleetSidecars.adminTokenFile(dir.resolve("admin.token"), "fleet-admin-token-0123456789"));
        SidecarProcess a = keep(fleet.start(dir.resolve("a"), "a", "--notify-url", receiver.url()));
        SidecarProcess b = keep(fleet.start(dir.resolve("b"), "b", "--notify-url", receiver.url()));

        pause(a, "one change, one message");
        await().atMost(Duration.ofSeconds(30)).until(() -> ready(b).at("/migrations/" + KEY + "/state").asText()
                .equals("paused"));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() >= 1);
        // b has applied the change: its notifier has read past it, and sent nothing
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(ready(b).at("/notifications/pending").asLong()).isZero());
        assertThat(ready(b).at("/notifications/delivered").asLong()).isZero();
        assertThat(ready(b).at("/notifications/failed").asLong()).isZero();
        assertThat(receiver.received()).hasSize(1);
        JsonNode event = JSON.readTree(receiver.received().get(0).body());
        assertThat(event.get("instance").asText()).isEqualTo("a");
        assertThat(event.get("text").asText()).endsWith("(instance a, fleet notify)");
    }

    /** {@code count} outcomes of distinct units on {@code variant} at 10 %, the first {@code errorShare} failing. */
    private static void perUnit(ArrayNode outcomes, Variant variant, int count, double errorShare) {
        int errors = (int) Math.round(count * errorShare);
        int added = 0;
        for (int i = 0; added < count; i++) {
            String unit = "u-" + i;
            if (Bucketing.variant(KEY, unit, 10_000) == variant) {
                outcomes.add(JSON.createObjectNode().put("key", KEY).put("unit", unit).put("ok", added >= errors));
                added++;
            }
        }
    }
}

package io.crossfade.sidecar.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.AuditEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NotifierTest {

    @TempDir
    Path dir;

    private static ObjectNode side(String percent, String state) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("percent", new java.math.BigDecimal(percent));
        n.put("state", state);
        return n;
    }

    private static AuditEvent event(String actor, String action, String from, String to, String reason, String instance) {
        return new AuditEvent(7, Instant.parse("2026-12-07T03:00:00Z"), actor, "db.pool.size", "m1", action,
                side(from, "running"), side(to, "halted"), reason, null, instance);
    }

    @Test
    void theSignatureIsGitHubsHmacSha256OfTheBody() {
        // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!"
        assertThat(Notifier.signature("It's a Secret to Everybody".getBytes(StandardCharsets.UTF_8),
                "Hello, World!".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
    }

    @Test
    void backoffDoublesFromOneSecondUpToFiveMinutes() {
        assertThat(List.of(1, 2, 3, 4, 9, 10, 50).stream().map(Notifier::backoff).toList()).containsExactly(
                Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8),
                Duration.ofSeconds(256), Duration.ofMinutes(5), Duration.ofMinutes(5));
    }

    @Test
    void aGuardHaltReadsAsASentenceWithTheReasonAndWhereItHappened() {
        String text = NotificationText.of(event("guard", "halt", "25", "25",
                "guard tripped: new 3.1 % errors vs old 0.9 %, 2.9×", "checkout-7d9f"), "other", "checkout");
        assertThat(text).isEqualTo("Crossfade halted db.pool.size at 25 %: new 3.1 % errors vs old 0.9 %, 2.9×"
                + " (instance checkout-7d9f, fleet checkout)");
    }

    @Test
    void operatorChangesNameTheOperator() {
        assertThat(NotificationText.of(event("alice", "set_percent", "10", "25", "looks good", null), "pod-1", null))
                .isEqualTo("alice set db.pool.size from 10 % to 25 %: looks good (instance pod-1)");
        assertThat(NotificationText.of(event("ramp", "step", "1", "10", null, null), "pod-1", null))
                .isEqualTo("Crossfade stepped db.pool.size up from 1 % to 10 % (ramp) (instance pod-1)");
        assertThat(NotificationText.ANNOUNCED).contains("halt", "rollback", "set_percent", "pause", "resume", "complete",
                "step", "store_reset").doesNotContain("created", "retired", "forgotten");
    }

    @Test
    void slackTextEscapesItsMarkupCharacters() {
        assertThat(NotificationText.forSlack("evidence 1e40 >= 100 & <rising>"))
                .isEqualTo("evidence 1e40 &gt;= 100 &amp; &lt;rising&gt;");
        assertThat(NotificationText.of(event("fleet-a", "store_reset", "25", "25", "revision went back", "a"), "a", "f"))
                .startsWith("Crossfade found the fleet store reset and re-seeded it");
    }

    @Test
    void flagsAreCheckedWithSentencesNamingTheFlag() throws Exception {
        assertThatThrownBy(() -> NotifyOptions.fromFlags(List.of("ftp://x"), "json", null))
                .hasMessageContaining("--notify-url takes an http or https URL").hasMessageContaining("ftp://x");
        assertThatThrownBy(() -> NotifyOptions.fromFlags(List.of(), "xml", null))
                .hasMessage("--notify-format must be json or slack, not 'xml'");
        Path empty = Files.writeString(dir.resolve("secret"), "\n");
        assertThatThrownBy(() -> NotifyOptions.fromFlags(List.of("http://a"), "json", empty))
                .hasMessageContaining("is empty");
        assertThatThrownBy(() -> NotifyOptions.fromFlags(List.of("http://a"), "json", dir.resolve("missing")))
                .hasMessageContaining("--notify-secret-file").hasMessageContaining("cannot be read");
        NotifyOptions two = NotifyOptions.fromFlags(List.of("http://a/x, https://b/y"), "SLACK", null);
        assertThat(two.urls()).hasSize(2);
        assertThat(two.format()).isEqualTo(NotifyOptions.Format.SLACK);
    }

    @Test
    void theOutboxSurvivesASaveAndLoad() throws Exception {
        Delivery d = new Delivery("7-0", 7, "halt", "http://127.0.0.1:1/h", "{\"text\":\"x\"}",
                Instant.parse("2026-12-07T03:00:00Z"), 2, Instant.parse("2026-12-07T03:00:04Z"), "ConnectException");
        new Outbox(7, List.of(d)).save(dir);
        assertThat(Outbox.load(dir)).contains(new Outbox(7, List.of(d)));
        assertThat(Outbox.load(dir.resolve("nothing-here"))).isEmpty();
    }
}

package io.crossfade.sidecar.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.AuditEvent;
import io.crossfade.sidecar.rollout.AuditTrail;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notifier's retry schedule on a clock the test moves: a receiver that never answers is retried
 * with backoff, and given up an hour after the change, counted as abandoned and gone from the outbox.
 */
class NotifierRetryTest {

    @TempDir
    Path state;

    /** A clock that stands still until the test moves it. */
    static final class MovableClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-07T03:00:00Z"));

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    }

    /** A trail the test appends to. */
    static final class ListTrail implements AuditTrail {
        final List<AuditEvent> events = new CopyOnWriteArrayList<>();

        @Override
        public List<AuditEvent> page(long since, String key, int limit) {
            return events.stream().filter(e -> e.seq() > since).limit(limit).toList();
        }

        @Override
        public long lastSeq() {
            return events.isEmpty() ? 0 : events.get(events.size() - 1).seq();
        }
    }

    private static AuditEvent pause(long seq) {
        ObjectNode side = Json.MAPPER.createObjectNode().put("percent", 10).put("state", "running");
        return new AuditEvent(seq, Instant.parse("2026-12-07T03:00:00Z"), "alice", "db.pool.size", "m1", "pause", side,
                side, "checking", null);
    }

    @Test
    void aReceiverThatNeverAnswersIsRetriedThenAbandonedAnHourAfterTheChange() throws Exception {
        MovableClock clock = new MovableClock();
        ListTrail trail = new ListTrail();
        trail.events.add(pause(1)); // before the first start: not announced
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        URI nobody = URI.create("http://127.0.0.1:" + WebhookReceiver.freePort() + "/hook");
        try (Notifier notifier = new Notifier(new NotifyOptions(List.of(nobody), NotifyOptions.Format.JSON, null), trail,
                state, "pod-1", null, clock, Executors.newSingleThreadScheduledExecutor(), registry)) {
            notifier.start();
            trail.events.add(pause(2));
            notifier.wake();
            await().atMost(Duration.ofSeconds(20)).until(() -> notifier.status().failed() == 1);
            assertThat(notifier.status().pending()).isEqualTo(1);
            assertThat(notifier.status().lastError()).startsWith("http://127.0.0.1:" + nobody.getPort() + "/…: ");
            assertThat(Outbox.load(state).orElseThrow().pending()).extracting(Delivery::seq).containsExactly(2L);

            // 59 minutes on: still retried
            clock.now.set(clock.instant().plus(Duration.ofMinutes(59)));
            notifier.wake();
            await().atMost(Duration.ofSeconds(20)).until(() -> notifier.status().failed() == 2);
            assertThat(notifier.status().abandoned()).isZero();
            assertThat(Outbox.load(state).orElseThrow().pending().get(0).attempts()).isEqualTo(2);

            // an hour after the change: given up
            clock.now.set(clock.instant().plus(Duration.ofMinutes(2)));
            notifier.wake();
            await().atMost(Duration.ofSeconds(20)).until(() -> notifier.status().abandoned() == 1);
            assertThat(notifier.status().pending()).isZero();
            assertThat(Outbox.load(state).orElseThrow().pending()).isEmpty();
            assertThat(Outbox.load(state).orElseThrow().cursor()).isEqualTo(2);
            assertThat(registry.get("crossfade.notifications").tag("result", "abandoned").counter().count()).isEqualTo(1);
            assertThat(registry.get("crossfade.notifications").tag("result", "delivered").counter().count()).isZero();
        }
    }

    @Test
    void anUnreadableOutboxIsSetAsideAndTheSidecarStartsAnyway() throws Exception {
        java.nio.file.Files.writeString(state.resolve(Outbox.FILE), "{ not json");
        ListTrail trail = new ListTrail();
        trail.events.add(pause(1));
        trail.events.add(pause(2));
        URI nobody = URI.create("http://127.0.0.1:" + WebhookReceiver.freePort() + "/hook");
        try (Notifier notifier = new Notifier(new NotifyOptions(List.of(nobody), NotifyOptions.Format.SLACK, null), trail,
                state, "pod-1", null, new MovableClock(), Executors.newSingleThreadScheduledExecutor(),
                new SimpleMeterRegistry())) {
            notifier.start();
            assertThat(state.resolve(Outbox.FILE + ".unreadable")).hasContent("{ not json");
            assertThat(Outbox.load(state).orElseThrow()).isEqualTo(new Outbox(2, List.of()));
            trail.events.add(pause(3));
            notifier.wake();
            await().atMost(Duration.ofSeconds(20)).until(() -> notifier.status().failed() == 1);
            assertThat(Outbox.load(state).orElseThrow().pending()).extracting(Delivery::seq).containsExactly(3L);
        }
    }
}

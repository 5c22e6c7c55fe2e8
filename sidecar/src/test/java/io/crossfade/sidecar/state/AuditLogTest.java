package io.crossfade.sidecar.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.AuditEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {

    @TempDir
    Path dir;

    private static AuditEvent event(String key, String reason) {
        return new AuditEvent(0, Instant.parse("2025-01-01T00:00:00Z"), "alice", key, "m1", "pause", null, null, reason,
                null);
    }

    private List<Long> seqs(List<AuditEvent> events) {
        return events.stream().map(AuditEvent::seq).toList();
    }

    @Test
    void appendsAreNumberedFromOneAndSurviveReopening() throws IOException {
        try (AuditLog log = AuditLog.open(dir)) {
            assertThat(log.append(event("a", "one")).seq()).isEqualTo(1);
            assertThat(seqs(log.appendAll(List.of(event("b", "two"), event("a", "three"))))).containsExactly(2L, 3L);
        }
        try (AuditLog log = AuditLog.open(dir)) {
            assertThat(log.lastSeq()).isEqualTo(3);
            assertThat(log.after(0)).extracting(AuditEvent::reason).containsExactly("one", "two", "three");
            assertThat(log.append(event("a", "four")).seq()).isEqualTo(4);
        }
    }

    @Test
    void pagesBySinceKeyAndLimit() throws IOException {
        try (AuditLog log = AuditLog.open(dir)) {
            for (int i = 1; i <= 10; i++) {
                log.append(event(i % 2 == 0 ? "even" : "odd", "e" + i));
            }
            assertThat(seqs(log.page(0, null, 3))).containsExactly(1L, 2L, 3L);
            assertThat(seqs(log.page(3, null, 3))).containsExactly(4L, 5L, 6L);
            assertThat(seqs(log.page(0, "even", 100))).containsExactly(2L, 4L, 6L, 8L, 10L);
            assertThat(seqs(log.page(4, "even", 2))).containsExactly(6L, 8L);
            assertThat(log.page(10, null, 5)).isEmpty();
            assertThat(log.page(0, "none", 5)).isEmpty();
        }
    }

    @Test
    void aTornLastLineWithoutItsNewlineIsDroppedAndTheNextAppendTakesItsNumber() throws IOException {
        try (AuditLog log = AuditLog.open(dir)) {
            log.append(event("a", "kept"));
        }
        Path file = dir.resolve("audit.jsonl");
        Files.writeString(file, "{\"seq\":2,\"time\":\"2025-01-01T00:00:00Z\",\"act", StandardOpenOption.APPEND);
        try (AuditLog log = AuditLog.open(dir)) {
            assertThat(log.lastSeq()).isEqualTo(1);
            assertThat(log.append(event("a", "next")).seq()).isEqualTo(2);
        }
        assertThat(Files.readAllLines(file)).hasSize(2).allSatisfy(line -> assertThat(Json.MAPPER.readTree(line)).isNotNull());
    }

    @Test
    void aLastLineThatDoesNotParseIsDroppedToo() throws IOException {
        try (AuditLog log = AuditLog.open(dir)) {
            log.append(event("a", "kept"));
        }
        Files.write(dir.resolve("audit.jsonl"), new byte[] {0, 0, 0, '\n'}, StandardOpenOption.APPEND);
        try (AuditLog log = AuditLog.open(dir)) {
            assertThat(log.after(0)).extracting(AuditEvent::reason).containsExactly("kept");
        }
    }

    @Test
    void aCorruptLineInTheMiddleIsDamageAndRefusesToOpen() throws IOException {
        try (AuditLog log = AuditLog.open(dir)) {
            log.append(event("a", "one"));
        }
        Path file = dir.resolve("audit.jsonl");
        String good = Files.readString(file);
        Files.writeString(file, "garbage\n" + good);
        assertThatThrownBy(() -> AuditLog.open(dir)).isInstanceOf(IOException.class).hasMessageContaining("corrupt at byte 0");
    }

    @Test
    void eventsOutOfSequenceRefuseToOpen() throws IOException {
        try (AuditLog log = AuditLog.open(dir)) {
            log.append(event("a", "one"));
        }
        Path file = dir.resolve("audit.jsonl");
        String line = Files.readString(file);
        Files.writeString(file, line + line);
        assertThatThrownBy(() -> AuditLog.open(dir)).isInstanceOf(IOException.class).hasMessageContaining("out of sequence");
    }

    @Test
    void theLastAppendCanBeTakenBackLeavingNoTrace() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        try (AuditLog log = AuditLog.open(dir)) {
            log.append(event("a", "kept"));
            byte[] before = Files.readAllBytes(file);
            log.appendAll(List.of(event("a", "refused-1"), event("b", "refused-2")));
            log.discardLastAppend();
            assertThat(Files.readAllBytes(file)).isEqualTo(before);
            assertThat(log.lastSeq()).isEqualTo(1);
            assertThat(log.after(0)).extracting(AuditEvent::reason).containsExactly("kept");
            assertThat(log.append(event("a", "next")).seq()).isEqualTo(2);
        }
        assertThat(Files.readString(file, StandardCharsets.UTF_8)).doesNotContain("refused");
    }

    @Test
    void numberingContinuesAfterTheStateFilesLastSeqWhenTheLogWasLost() throws IOException {
        try (AuditLog log = AuditLog.open(dir)) {
            log.continueAfter(41);
            assertThat(log.append(event("a", "after a lost log")).seq()).isEqualTo(42);
            log.continueAfter(10); // never goes back
            assertThat(log.append(event("a", "next")).seq()).isEqualTo(43);
        }
    }

    /** 256 KiB in all makes 64 KiB segments: a few thousand events rotate many times. */
    private static final AuditRetention SMALL = new AuditRetention(java.time.Duration.ZERO, 256 << 10);

    private static AuditEvent event(String key, String reason, Instant time) {
        return new AuditEvent(0, time, "alice", key, "m1", "pause", null, null, reason, null);
    }

    private static List<AuditEvent> everything(AuditLog log) {
        List<AuditEvent> all = new java.util.ArrayList<>();
        long since = 0;
        while (true) {
            List<AuditEvent> page = log.page(since, null, 100);
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
            since = page.get(page.size() - 1).seq();
        }
    }

    @Test
    void aLongLogIsRotatedIntoSegmentsAndTheRetentionKeepsItsSizeBounded() throws IOException {
        long first;
        try (AuditLog log = AuditLog.open(dir, SMALL, java.time.Clock.systemUTC())) {
            for (int i = 1; i <= 4000; i += 20) {
                List<AuditEvent> batch = new java.util.ArrayList<>();
                for (int j = i; j < i + 20; j++) {
                    batch.add(event(j % 7 == 0 ? "rare" : "common", "event " + j + " " + "x".repeat(200)));
                }
                log.appendAll(batch); // one fsync per batch: the test stays fast on a real disk
                log.keepAfter(log.lastSeq());
            }
            assertThat(log.lastSeq()).isEqualTo(4000);
            assertThat(log.bytes()).isLessThanOrEqualTo((256 << 10) + SMALL.segmentBytes() + 1024);
            first = log.firstSeq();
            assertThat(first).isGreaterThan(1);
            List<AuditEvent> kept = everything(log);
            assertThat(kept.get(0).seq()).isEqualTo(first);
            assertThat(kept.get(kept.size() - 1).seq()).isEqualTo(4000);
            assertThat(seqs(kept)).isEqualTo(java.util.stream.LongStream.rangeClosed(first, 4000).boxed().toList());
            // a key across segments, from any point
            List<AuditEvent> rare = log.page(first + 100, "rare", 1000);
            assertThat(rare).allMatch(e -> e.key().equals("rare") && e.seq() > first + 100 && e.seq() % 7 == 0);
            assertThat(rare.get(rare.size() - 1).seq()).isEqualTo(3997);
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("audit-")).count())
                    .isGreaterThan(1);
        }
        try (AuditLog log = AuditLog.open(dir, SMALL, java.time.Clock.systemUTC())) {
            assertThat(log.lastSeq()).isEqualTo(4000);
            assertThat(log.firstSeq()).as("the closed segments are found again").isEqualTo(first);
            assertThat(everything(log)).hasSize((int) (4000 - first + 1));
            assertThat(log.append(event("a", "after reopening")).seq()).isEqualTo(4001);
            assertThat(log.page(3999, null, 10)).extracting(AuditEvent::seq).containsExactly(4000L, 4001L);
        }
    }

    @Test
    void eventsTheStateFileDoesNotIncludeAreNeverDeletedByTheRetention() throws IOException {
        try (AuditLog log = AuditLog.open(dir, SMALL, java.time.Clock.systemUTC())) {
            log.keepAfter(10);
            for (int i = 1; i <= 3000; i += 20) {
                log.appendAll(java.util.Collections.nCopies(20, event("a", "event " + i + " " + "x".repeat(200))));
            }
            assertThat(log.page(10, null, 1)).extracting(AuditEvent::seq).containsExactly(11L);
            log.keepAfter(log.lastSeq());
            assertThat(log.page(10, null, 1).get(0).seq()).isGreaterThan(11L);
        }
    }

    @Test
    void segmentsOlderThanTheAgeLimitAreDeleted() throws IOException {
        Instant t0 = Instant.parse("2025-01-01T00:00:00Z");
        java.util.concurrent.atomic.AtomicReference<Instant> now = new java.util.concurrent.atomic.AtomicReference<>(t0);
        java.time.Clock clock = new java.time.Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        AuditRetention weekOld = new AuditRetention(java.time.Duration.ofDays(7), 0);
        try (AuditLog log = AuditLog.open(dir, new AuditRetention(java.time.Duration.ofDays(7), 1 << 20), clock)) {
            for (int i = 1; i <= 2000; i += 20) {
                log.appendAll(java.util.Collections.nCopies(20, event("a", "old " + i + " " + "x".repeat(200), t0)));
            }
            log.keepAfter(log.lastSeq());
            now.set(t0.plus(java.time.Duration.ofDays(8)));
            log.append(event("a", "new", now.get()));
            assertThat(log.firstSeq()).isGreaterThan(1);
            assertThat(log.page(0, null, 1).get(0).seq()).isEqualTo(log.firstSeq());
        }
        assertThat(weekOld.segmentBytes()).isEqualTo(16L << 20);
    }

    @Test
    void theRetentionIsReadAsAgeAndSizeInEitherOrder() {
        assertThat(AuditRetention.parse("30d,100MiB")).isEqualTo(new AuditRetention(java.time.Duration.ofDays(30), 100L << 20));
        assertThat(AuditRetention.parse("1GiB").maxAge()).isEqualTo(AuditRetention.DEFAULT.maxAge());
        assertThat(AuditRetention.parse("0d,0b")).isEqualTo(new AuditRetention(java.time.Duration.ZERO, 0));
        assertThat(AuditRetention.parse("12h").maxBytes()).isEqualTo(AuditRetention.DEFAULT.maxBytes());
        assertThatThrownBy(() -> AuditRetention.parse("forever")).hasMessageContaining("AGE,SIZE such as 90d,256MiB");
        assertThatThrownBy(() -> AuditRetention.parse("1d,2d")).hasMessageContaining("'1d,2d'");
    }
}

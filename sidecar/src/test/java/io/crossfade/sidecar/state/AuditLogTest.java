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
}

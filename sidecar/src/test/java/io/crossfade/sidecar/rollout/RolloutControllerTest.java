package io.crossfade.sidecar.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crossfade.config.MigrationState;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsSpec;
import io.crossfade.sidecar.rollout.ChangeRefusedException.Reason;
import io.crossfade.sidecar.state.FileMigrationStore;
import io.crossfade.sidecar.state.PersistedState;
import io.crossfade.sidecar.state.StateStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RolloutControllerTest {

    @TempDir
    Path settingsDir;

    @TempDir
    Path stateDir;

    private SettingsSpec spec() throws Exception {
        Files.writeString(settingsDir.resolve("s.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                  other: { value: 1 }
                migrations:
                  db.pool.size: { to: 20, percent: 5 }
                  other: { to: 2 }
                """);
        SettingsDirectory loader = new SettingsDirectory();
        return loader.parse(loader.read(settingsDir));
    }

    /** The same settings without the db.pool.size migration (its file lost that part). */
    private SettingsSpec specWithoutPoolMigration() throws Exception {
        Files.writeString(settingsDir.resolve("s.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                  other: { value: 1 }
                migrations:
                  other: { to: 2 }
                """);
        SettingsDirectory loader = new SettingsDirectory();
        return loader.parse(loader.read(settingsDir));
    }

    private static final SourceStatus SOURCE = new SourceStatus("directory", "test", "v1", false, Instant.EPOCH,
            List.of(), null);

    private RolloutController started() throws Exception {
        RolloutController c = new RolloutController(FileMigrationStore.open(stateDir), Clock.systemUTC());
        c.start(spec(), SOURCE);
        return c;
    }

    @Test
    void aChangeIsDurableAndServedWhenItsFutureCompletes() throws Exception {
        List<AuditEvent> heard = new CopyOnWriteArrayList<>();
        try (RolloutController c = started()) {
            c.onMigrationChange(heard::add);
            MigrationRecord r = c.change("db.pool.size", new Change.SetPercent(50_000), "alice", "half", null).join();
            assertThat(r.percent()).isEqualTo(50_000);
            assertThat(r.revision()).isEqualTo(c.audit().lastSeq());
            // served: the published snapshot already has it
            assertThat(c.current().snapshot().migration("db.pool.size").status().percent()).isEqualTo(50_000);
            // durable: the state file has it
            PersistedState onDisk = new StateStore(stateDir).load();
            assertThat(onDisk.migrations().get("db.pool.size")).isEqualTo(r);
            assertThat(onDisk.lastSeq()).isEqualTo(r.revision());
            // and the listener heard the audit event
            assertThat(heard).extracting(AuditEvent::action).containsExactly("set_percent");
        }
    }

    @Test
    void aStaleRevisionIsRefusedAndChangesNothing() throws Exception {
        try (RolloutController c = started()) {
            long rev = c.current().records().get("db.pool.size").revision();
            c.change("db.pool.size", new Change.Pause(), "alice", null, rev).join();
            long seq = c.audit().lastSeq();
            assertThatThrownBy(() -> c.change("db.pool.size", new Change.Resume(), "bob", null, rev).join())
                    .cause().isInstanceOfSatisfying(ChangeRefusedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.PRECONDITION_FAILED));
            assertThat(c.audit().lastSeq()).isEqualTo(seq);
            assertThat(c.current().records().get("db.pool.size").state()).isEqualTo(MigrationState.PAUSED);
        }
    }

    @Test
    void whenTheStateFileCannotBeWrittenTheChangeIsRefusedAndLeavesNoAuditEvent() throws Exception {
        try (RolloutController c = started()) {
            long seq = c.audit().lastSeq();
            byte[] log = Files.readAllBytes(stateDir.resolve("audit.jsonl"));
            // A non-empty directory where the temporary state file goes makes the write fail.
            Path blocker = stateDir.resolve(".state.json.tmp");
            Files.createDirectories(blocker.resolve("x"));

            assertThatThrownBy(() -> c.change("db.pool.size", new Change.SetPercent(50_000), "alice", "x", null).join())
                    .isInstanceOf(CompletionException.class).cause()
                    .isInstanceOfSatisfying(ChangeRefusedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE));
            assertThat(c.audit().lastSeq()).isEqualTo(seq);
            assertThat(Files.readAllBytes(stateDir.resolve("audit.jsonl"))).isEqualTo(log);
            assertThat(c.current().records().get("db.pool.size").percent()).isEqualTo(5_000);

            Files.delete(blocker.resolve("x"));
            Files.delete(blocker);
            MigrationRecord r = c.change("db.pool.size", new Change.SetPercent(50_000), "alice", "y", null).join();
            assertThat(r.revision()).isEqualTo(seq + 1);
        }
    }

    @Test
    void aCrashBetweenTheAuditAppendAndTheStateWriteIsRecoveredFromTheAuditLog() throws Exception {
        byte[] stateBefore;
        try (RolloutController c = started()) {
            stateBefore = Files.readAllBytes(stateDir.resolve("state.json"));
            c.change("db.pool.size", new Change.SetPercent(50_000), "alice", "half", null).join();
            c.change("other", new Change.Pause(), "alice", "wait", null).join();
        }
        // Put back the old state file: as if the process died right after the audit appends.
        Files.write(stateDir.resolve("state.json"), stateBefore);
        try (RolloutController c = started()) {
            assertThat(c.current().records().get("db.pool.size").percent()).isEqualTo(50_000);
            assertThat(c.current().records().get("other").state()).isEqualTo(MigrationState.PAUSED);
            assertThat(new StateStore(stateDir).load().lastSeq()).isEqualTo(c.audit().lastSeq());
        }
    }

    @Test
    void revisionsAreNeverHandedOutTwiceEvenWhenTheAuditLogIsLost() throws Exception {
        long rev;
        try (RolloutController c = started()) {
            rev = c.change("db.pool.size", new Change.SetPercent(50_000), "alice", null, null).join().revision();
        }
        Files.delete(stateDir.resolve("audit.jsonl"));
        try (RolloutController c = started()) {
            MigrationRecord r = c.change("other", new Change.Pause(), "alice", null, null).join();
            assertThat(r.revision()).isGreaterThan(rev);
        }
    }

    @Test
    void unknownKeysAndSettingsWithoutMigrationAreNotFound() throws Exception {
        Files.writeString(settingsDir.resolve("t.yaml"), "settings:\n  plain: { value: 1 }\n", StandardCharsets.UTF_8);
        try (RolloutController c = started()) {
            assertThatThrownBy(() -> c.change("nope", new Change.Pause(), "a", null, null).join()).cause()
                    .hasMessage("no setting named nope");
            assertThatThrownBy(() -> c.change("plain", new Change.Pause(), "a", null, null).join()).cause()
                    .hasMessage("setting plain has no migration");
        }
    }

    @Test
    void aRetiredMigrationsTombstoneSurvivesARestartAndItResumesWhereOperatorsLeftIt() throws Exception {
        long revision;
        try (RolloutController c = started()) {
            revision = c.change("db.pool.size", new Change.SetPercent(50_000), "alice", "half", null).join().revision();
            c.applySpec(specWithoutPoolMigration(), SOURCE).join();
            assertThat(c.current().snapshot().migration("db.pool.size")).isNull();
        }
        assertThat(new StateStore(stateDir).load().tombstones()).hasSize(1);
        try (RolloutController c = started()) {
            MigrationRecord back = c.current().records().get("db.pool.size");
            assertThat(back.percent()).isEqualTo(50_000);
            assertThat(back.revision()).isEqualTo(revision);
            assertThat(c.audit().page(0, "db.pool.size", 100)).extracting(AuditEvent::action)
                    .containsExactly("created", "set_percent", "retired", "restored");
            assertThat(new StateStore(stateDir).load().tombstones()).isEmpty();
        }
    }

    @Test
    void aTombstoneIsRebuiltFromTheAuditLogAfterACrashBeforeTheStateWrite() throws Exception {
        try (RolloutController c = started()) {
            c.change("db.pool.size", new Change.SetPercent(50_000), "alice", "half", null).join();
            byte[] stateBefore = Files.readAllBytes(stateDir.resolve("state.json"));
            c.applySpec(specWithoutPoolMigration(), SOURCE).join();
            c.close();
            // As if the process died right after appending the retirement.
            Files.write(stateDir.resolve("state.json"), stateBefore);
        }
        try (RolloutController c = started()) {
            assertThat(c.current().records().get("db.pool.size").percent()).isEqualTo(50_000);
            assertThat(c.audit().page(0, "db.pool.size", 100)).extracting(AuditEvent::action).endsWith("restored");
        }
    }

    @Test
    void aRetiredMigrationIsForgottenOnTimeWithoutAReload() throws Exception {
        List<AuditEvent> heard = new CopyOnWriteArrayList<>();
        RolloutController c = new RolloutController(FileMigrationStore.open(stateDir), Clock.systemUTC(),
                java.time.Duration.ofMillis(300));
        try (c) {
            c.start(spec(), SOURCE);
            c.onMigrationChange(heard::add);
            c.change("db.pool.size", new Change.SetPercent(50_000), "alice", "half", null).join();
            c.applySpec(specWithoutPoolMigration(), SOURCE).join();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> c.audit().page(0, "db.pool.size", 100).stream().anyMatch(e -> e.action().equals("forgotten")));
            assertThat(new StateStore(stateDir).load().tombstones()).isEmpty();
            // Listeners of live migrations do not hear it: the key may serve another migration by then.
            assertThat(heard).extracting(AuditEvent::action).doesNotContain("forgotten");
        }
    }

    @Test
    void aStateDirectoryThatRefusesWritesStillStartsServesTheSavedStateAndRecoversByItself() throws Exception {
        try (RolloutController c = started()) {
            c.change("db.pool.size", new Change.SetPercent(50_000), "alice", "half", null).join();
        }
        // A non-empty directory where the temporary state file goes makes every state write fail.
        Path blocker = stateDir.resolve(".state.json.tmp");
        Files.createDirectories(blocker.resolve("x"));
        try (RolloutController c = started()) {
            assertThat(c.current().records().get("db.pool.size").percent()).isEqualTo(50_000);
            StateDirectoryStatus status = c.stateDirectoryStatus().orElseThrow();
            assertThat(status.writable()).isFalse();
            assertThat(status.problem()).isNotBlank();
            assertThatThrownBy(() -> c.change("db.pool.size", new Change.SetPercent(60_000), "alice", "x", null).join())
                    .cause().isInstanceOfSatisfying(ChangeRefusedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE));

            Files.delete(blocker.resolve("x"));
            Files.delete(blocker);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> c.stateDirectoryStatus().orElseThrow().writable());
            assertThat(c.change("db.pool.size", new Change.SetPercent(60_000), "alice", "y", null).join().percent())
                    .isEqualTo(60_000);
        }
    }

    @Test
    void theGuardsHaltTakesEffectOnARefusingStateDirectoryAndIsSavedWhenItTakesWritesAgain() throws Exception {
        try (RolloutController c = started()) {
            c.change("db.pool.size", new Change.SetPercent(50_000), "alice", "half", null).join();
        }
        Path blocker = stateDir.resolve(".state.json.tmp");
        Files.createDirectories(blocker.resolve("x"));
        try (RolloutController c = started()) {
            // an operator's halt is refused: an operator is never told "done" for what is not saved
            assertThatThrownBy(() -> c.change("db.pool.size", new Change.Halt(), "alice", "stop", null).join())
                    .cause().isInstanceOfSatisfying(ChangeRefusedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE));
            assertThat(c.current().records().get("db.pool.size").state()).isEqualTo(MigrationState.RUNNING);

            // the guard's is served at once, and listed as not saved yet
            MigrationRecord halted = c.change("db.pool.size", new Change.Halt(), RolloutController.GUARD_ACTOR,
                    "errors spiked", null).join();
            assertThat(halted.state()).isEqualTo(MigrationState.HALTED);
            assertThat(c.current().records().get("db.pool.size").state()).isEqualTo(MigrationState.HALTED);
            assertThat(c.stateDirectoryStatus().orElseThrow().pendingWrite()).containsExactly("db.pool.size");
            assertThat(new StateStore(stateDir).load().migrations().get("db.pool.size").state())
                    .as("not saved yet").isEqualTo(MigrationState.RUNNING);

            Files.delete(blocker.resolve("x"));
            Files.delete(blocker);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> c.stateDirectoryStatus().orElseThrow().pendingWrite().isEmpty());
            assertThat(c.stateDirectoryStatus().orElseThrow().writable()).isTrue();
            assertThat(c.audit().page(0, "db.pool.size", 100)).last().satisfies(e -> {
                assertThat(e.action()).isEqualTo("halt");
                assertThat(e.actor()).isEqualTo("guard");
                assertThat(e.reason()).isEqualTo("errors spiked");
            });
        }
        try (RolloutController c = started()) {
            assertThat(c.current().records().get("db.pool.size").state()).as("saved").isEqualTo(MigrationState.HALTED);
        }
    }
}

package io.crossfade.sidecar.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsSpec;
import io.crossfade.sidecar.state.FileMigrationStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The starting-percent note belongs to a file edit the state does not follow, and lives until the
 * next operator change of that migration (issue 26): through the real controller and file store.
 */
class StartingPercentTest {

    private static final String KEY = "db.pool.size";
    private static final SourceStatus SOURCE = new SourceStatus("directory", "test", "v1", false, Instant.EPOCH,
            List.of(), null);

    @TempDir
    Path settingsDir;

    @TempDir
    Path stateDir;

    private SettingsSpec spec(int percent, int otherValue) throws Exception {
        Files.writeString(settingsDir.resolve("s.yaml"), "settings:\n  db.pool.size: { value: 10 }\n"
                + "  other: { value: " + otherValue + " }\nmigrations:\n  db.pool.size: { to: 20, percent: " + percent
                + " }\n");
        SettingsDirectory loader = new SettingsDirectory();
        return loader.parse(loader.read(settingsDir));
    }

    private RolloutController started() throws Exception {
        RolloutController c = new RolloutController(FileMigrationStore.open(stateDir), Clock.systemUTC());
        c.start(spec(5, 1), SOURCE);
        return c;
    }

    @Test
    void anOperatorsOwnSetLeavesNoNoteThroughUnrelatedReloads() throws Exception {
        try (RolloutController c = started()) {
            c.change(KEY, new Change.SetPercent(30_000), "alice", null, null).join();
            assertThat(c.current().startingPercentNote(KEY)).isNull();
            c.applySpec(spec(5, 2), SOURCE).join();
            assertThat(c.current().startingPercentNote(KEY)).isNull();
        }
    }

    @Test
    void aFileEditTheStateDoesNotFollowIsNotedUntilTheNextOperatorChange() throws Exception {
        try (RolloutController c = started()) {
            c.applySpec(spec(40, 1), SOURCE).join();
            assertThat(c.current().startingPercentNote(KEY)).isEqualTo("the file's percent 40 is only the starting"
                    + " percent; the state is 5 (running); use `crossfade ctl set db.pool.size 40` to change it");
            c.applySpec(spec(40, 2), SOURCE).join(); // unrelated: the note stays
            c.reloadFailed(List.of()).join();
            assertThat(c.current().startingPercentNote(KEY)).startsWith("the file's percent 40");

            c.change(KEY, new Change.Pause(), "alice", "looking", null).join();
            assertThat(c.current().startingPercentNote(KEY)).isNull();
            c.applySpec(spec(40, 3), SOURCE).join();
            assertThat(c.current().startingPercentNote(KEY)).as("answered by the operator").isNull();
        }
    }

    @Test
    void aGuardHaltDoesNotAnswerTheEditButAStateThatFollowsTheFileDoes() throws Exception {
        try (RolloutController c = started()) {
            c.applySpec(spec(40, 1), SOURCE).join();
            c.change(KEY, new Change.Halt(), RolloutController.GUARD_ACTOR, "guard tripped: …", null).join();
            assertThat(c.current().startingPercentNote(KEY)).as("the guard is no operator").contains("the state is 5 (halted)");

            c.change(KEY, new Change.Resume(), "alice", null, null).join(); // operator: answered
            c.applySpec(spec(50, 1), SOURCE).join();                          // a new edit: noted again
            assertThat(c.current().startingPercentNote(KEY)).startsWith("the file's percent 50");
        }
    }
}

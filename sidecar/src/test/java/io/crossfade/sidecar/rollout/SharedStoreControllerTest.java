package io.crossfade.sidecar.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsSpec;
import io.crossfade.sidecar.rollout.ChangeRefusedException.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The controller's side of a store shared by several sidecars, against an in-memory shared store. */
class SharedStoreControllerTest {

    private static final String FILES = """
            settings:
              db.pool.size: { value: 10 }
              other: { value: 1 }
            migrations:
              db.pool.size: { to: 20, percent: 5 }
              other: { to: 2 }
            """;

    private static final SourceStatus SOURCE = new SourceStatus("directory", "test", "v1", false, Instant.EPOCH,
            List.of(), null);

    private final SharedMemoryStore.Hub hub = new SharedMemoryStore.Hub();
    private final List<RolloutController> open = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        open.forEach(RolloutController::close);
    }

    private static SettingsSpec spec(String yaml) throws Exception {
        return new SettingsDirectory().parse(Map.of("s.yaml", yaml.getBytes(StandardCharsets.UTF_8)));
    }

    private RolloutController started(String instance, String yaml) throws Exception {
        RolloutController c = new RolloutController(SharedMemoryStore.view(hub, instance), Clock.systemUTC());
        open.add(c);
        c.start(spec(yaml), SOURCE);
        return c;
    }

    private static int percent(RolloutController c, String key) {
        return c.current().snapshot().migration(key).status().percent();
    }

    @Test
    void tenSidecarsLoadingTheSameFilesCreateEachMigrationOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<RolloutController>> starts = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String name = "s" + i;
                starts.add(pool.submit(() -> started(name, FILES)));
            }
            for (Future<RolloutController> f : starts) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(hub.trail()).extracting(AuditEvent::action).containsExactly("created", "created");
        for (RolloutController c : open) {
            assertThat(c.current().records().get("db.pool.size").revision()).isPositive();
        }
    }

    @Test
    void aChangeMadeOnOneSidecarIsServedByTheOtherWithoutBeingCommittedAgain() throws Exception {
        RolloutController a = started("a", FILES);
        RolloutController b = started("b", FILES);
        List<AuditEvent> heardByB = new CopyOnWriteArrayList<>();
        b.onMigrationChange(heardByB::add);

        MigrationRecord r = a.change("db.pool.size", new Change.SetPercent(50_000), "alice", "half", null).join();

        await().atMost(Duration.ofSeconds(30)).until(() -> percent(b, "db.pool.size") == 50_000);
        assertThat(b.current().records().get("db.pool.size")).isEqualTo(r);
        assertThat(hub.trail()).extracting(AuditEvent::action).containsExactly("created", "created", "set_percent");
        await().atMost(Duration.ofSeconds(30)).until(() -> heardByB.size() == 1);
        assertThat(heardByB.get(0).instance()).isEqualTo("a");
        assertThat(b.audit().lastSeq()).isEqualTo(r.revision());
    }

    @Test
    void twoOperatorsWithTheSameIfMatchOnDifferentSidecarsOneWinsTheOtherIsRefused() throws Exception {
        RolloutController a = started("a", FILES);
        RolloutController b = started("b", FILES);
        long rev = a.current().records().get("db.pool.size").revision();
        assertThat(b.current().records().get("db.pool.size").revision()).isEqualTo(rev);

        CompletableFuture<MigrationRecord> viaA = a.change("db.pool.size", new Change.SetPercent(30_000), "alice",
                null, rev);
        CompletableFuture<MigrationRecord> viaB = b.change("db.pool.size", new Change.SetPercent(40_000), "bob",
                null, rev);
        List<Reason> refused = new ArrayList<>();
        int won = 0;
        for (CompletableFuture<MigrationRecord> f : List.of(viaA, viaB)) {
            try {
                f.join();
                won++;
            } catch (CompletionException e) {
                refused.add(((ChangeRefusedException) e.getCause()).reason());
            }
        }
        assertThat(won).isEqualTo(1);
        assertThat(refused).containsExactly(Reason.PRECONDITION_FAILED);
        assertThat(hub.trail()).filteredOn(e -> e.action().equals("set_percent")).hasSize(1);
        int winner = hub.trail().get(hub.trail().size() - 1).record().percent();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> percent(a, "db.pool.size") == winner && percent(b, "db.pool.size") == winner);
    }

    @Test
    void aChangeWithoutIfMatchIsDecidedAgainOnTheFreshStateAfterLosingARace() throws Exception {
        RolloutController a = started("a", FILES);
        RolloutController b = started("b", FILES);
        a.change("db.pool.size", new Change.Pause(), "alice", null, null).join();
        // b may not have heard the pause yet; its resume must still be decided on the paused record.
        MigrationRecord resumed = b.change("db.pool.size", new Change.Resume(), "bob", null, null).join();
        assertThat(resumed.state().wireName()).isEqualTo("running");
        assertThat(hub.trail()).extracting(AuditEvent::action).endsWith("pause", "resume");
    }

    @Test
    void aMigrationThatThisSidecarsFilesDoNotDeclareIsKeptForTheOthers() throws Exception {
        started("a", FILES);
        started("b", """
                settings:
                  db.pool.size: { value: 10 }
                  other: { value: 1 }
                migrations:
                  db.pool.size: { to: 30 }
                """);
        assertThat(hub.trail()).extracting(AuditEvent::action).containsExactly("created", "created", "created");
        assertThat(hub.trail()).extracting(AuditEvent::action).doesNotContain(AuditEvent.RETIRED);
    }

    @Test
    void aGapInTheFeedIsFilledByReadingTheWholeState() throws Exception {
        RolloutController a = started("a", FILES);
        RolloutController b = started("b", FILES);
        a.change("db.pool.size", new Change.SetPercent(10_000), "alice", null, null).join();
        MigrationRecord last = a.change("db.pool.size", new Change.SetPercent(20_000), "alice", null, null).join();
        AuditEvent newest = hub.trail().get(hub.trail().size() - 1);
        // As if b's feed had dropped events: it hears one far ahead of what it has.
        b.publishCommitted(List.of(newest.withSeq(last.revision() + 5))).join();
        assertThat(percent(b, "db.pool.size")).isEqualTo(20_000);
    }
}

package io.crossfade.sidecar.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.config.MigrationState;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsSpec;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.AuditEvent;
import io.crossfade.sidecar.rollout.Change;
import io.crossfade.sidecar.rollout.ChangeRefusedException;
import io.crossfade.sidecar.rollout.ChangeRefusedException.Reason;
import io.crossfade.sidecar.rollout.MigrationRecord;
import io.crossfade.sidecar.rollout.RolloutController;
import io.crossfade.sidecar.rollout.SourceStatus;
import io.crossfade.sidecar.testing.EtcdCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The etcd store with the real rollout controller, against a real one-member etcd: several
 * controllers in this JVM stand for several sidecars (each with its own store, client and event
 * loop), which keeps ten of them cheap.
 */
class EtcdStoreIT {

    private static final String FILES = """
            settings:
              db.pool.size: { value: 10 }
              other: { value: 1 }
            migrations:
              db.pool.size: { to: 20, percent: 5 }
              other: { to: 2 }
            """;

    private static final AtomicInteger FLEETS = new AtomicInteger();

    @TempDir
    static Path etcdDir;

    static EtcdCluster etcd;

    @TempDir
    Path dir;

    private final List<RolloutController> open = new CopyOnWriteArrayList<>();
    private String fleet;

    @BeforeAll
    static void startEtcd() throws Exception {
        Assumptions.assumeTrue(EtcdCluster.available(), "etcd is not installed (apt-get install etcd-server)");
        etcd = EtcdCluster.start(etcdDir, 1);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @AfterEach
    void close() {
        open.forEach(RolloutController::close);
    }

    private static SettingsSpec spec(String yaml) throws Exception {
        return new SettingsDirectory().parse(Map.of("s.yaml", yaml.getBytes(StandardCharsets.UTF_8)));
    }

    private RolloutController sidecar(String instance) throws Exception {
        return sidecar(instance, etcd.endpoints());
    }

    private RolloutController sidecar(String instance, String endpoints) throws Exception {
        if (fleet == null) {
            fleet = "t" + FLEETS.incrementAndGet() + "-" + System.nanoTime();
        }
        Path state = dir.resolve(instance);
        Files.createDirectories(state);
        FleetOptions options = FleetOptions.parse(endpoints, fleet, null, null, null, null, null);
        RolloutController c = new RolloutController(EtcdMigrationStore.open(options, instance, state,
                Clock.systemUTC()), Clock.systemUTC());
        open.add(c);
        c.start(spec(FILES), new SourceStatus("directory", "test", "v1", false, Instant.now(), List.of(), null));
        return c;
    }

    private static int percent(RolloutController c, String key) {
        return c.current().snapshot().migration(key).status().percent();
    }

    private List<AuditEvent> trail() throws Exception {
        List<AuditEvent> out = new ArrayList<>();
        for (String json : etcd.values("/crossfade/" + fleet + "/audit/")) {
            out.add(Json.MAPPER.readValue(json, AuditEvent.class));
        }
        return out;
    }

    @Test
    void tenSidecarsLoadingTheSameFilesCreateEachMigrationOnce() throws Exception {
        fleet = "ten-" + System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<RolloutController>> starts = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String name = "s" + i;
                starts.add(pool.submit(() -> sidecar(name)));
            }
            for (Future<RolloutController> f : starts) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(trail()).extracting(AuditEvent::action).containsExactly("created", "created");
        long revision = trail().get(1).seq();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (RolloutController c : open) {
                assertThat(c.audit().lastSeq()).isEqualTo(revision);
                assertThat(percent(c, "db.pool.size")).isEqualTo(5_000);
            }
        });
    }

    @Test
    void aChangeReachesTheOtherSidecarsThroughTheWatchWithTheInstanceThatMadeIt() throws Exception {
        RolloutController a = sidecar("a");
        RolloutController b = sidecar("b");
        RolloutController c = sidecar("c");
        MigrationRecord r = a.change("db.pool.size", new Change.SetPercent(40_000), "alice", "wider", null).join();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> percent(b, "db.pool.size") == 40_000 && percent(c, "db.pool.size") == 40_000);
        assertThat(c.current().records().get("db.pool.size").revision()).isEqualTo(r.revision());
        AuditEvent seenOnC = c.audit().page(0, "db.pool.size", 100).get(1);
        assertThat(seenOnC.action()).isEqualTo("set_percent");
        assertThat(seenOnC.instance()).isEqualTo("a");
        assertThat(seenOnC.actor()).isEqualTo("alice");
    }

    @Test
    void twoOperatorsWithTheSameIfMatchThroughDifferentSidecarsOneWinsTheOtherGetsPreconditionFailed()
            throws Exception {
        RolloutController a = sidecar("a");
        RolloutController b = sidecar("b");
        await().atMost(Duration.ofSeconds(30)).until(() -> b.audit().lastSeq() == a.audit().lastSeq());
        long rev = a.current().records().get("db.pool.size").revision();
        CompletableFuture<MigrationRecord> viaA = a.change("db.pool.size", new Change.SetPercent(30_000), "alice",
                null, rev);
        CompletableFuture<MigrationRecord> viaB = b.change("db.pool.size", new Change.SetPercent(60_000), "bob",
                null, rev);
        int won = 0;
        List<Reason> refused = new ArrayList<>();
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
        assertThat(trail()).filteredOn(e -> e.action().equals("set_percent")).hasSize(1);
    }

    @Test
    void anIfMatchReadFromASidecarThatIsAheadIsHonouredByOneThatLags() throws Exception {
        RolloutController a = sidecar("a");
        RolloutController b = sidecar("b");
        MigrationRecord paused = a.change("db.pool.size", new Change.Pause(), "alice", null, null).join();
        // Sent to b at once, whether or not b's watch has delivered the pause yet.
        MigrationRecord resumed = b.change("db.pool.size", new Change.Resume(), "bob", null, paused.revision())
                .join();
        assertThat(resumed.state()).isEqualTo(MigrationState.RUNNING);
        assertThat(resumed.revision()).isEqualTo(paused.revision() + 1);
    }
}

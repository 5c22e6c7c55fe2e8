package io.crossfade.sidecar.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.testing.EtcdCluster;
import io.crossfade.sidecar.testing.FleetSidecars;
import io.crossfade.sidecar.testing.SidecarProcess;
import io.crossfade.sidecar.testing.TcpRelay;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reconnecting, against a real etcd and real sidecars: sidecar A talks to etcd directly, sidecar B
 * through a relay the test cuts. While B is away the fleet changes through A; B keeps serving what it
 * had. When it is back, B resumes its watch from the last revision it had seen, so etcd replays every
 * change it missed, in order, and B serves exactly A's state without reading everything again. (The
 * other branch, a history compacted while away, is {@link FleetMembersIT}'s.) The tests share one fleet and
 * each starts from both sidecars agreeing; the plain disconnect goes first, so that it is judged on its own.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetReconnectIT {

    private static final String FILES = """
            settings:
              db.pool.size: { value: 10 }
              search.ranker: { value: "bm25" }
            migrations:
              db.pool.size: { to: 20, percent: 5 }
              search.ranker: { to: "learned", percent: 5 }
            """;

    private static final Pattern RESUMED = Pattern.compile("resumed the watch from etcd revision (\\d+)");
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    static EtcdCluster etcd;
    static TcpRelay relay;
    static SidecarProcess a;
    static SidecarProcess b;

    @BeforeAll
    static void startFleet() throws Exception {
        Assumptions.assumeTrue(EtcdCluster.available(), "etcd is not installed (apt-get install etcd-server)");
        etcd = EtcdCluster.start(dir.resolve("etcd"), 1);
        relay = TcpRelay.to(etcd.endpoint(0));
        FleetSidecars fleet = new FleetSidecars("reconnect", FILES, etcd.endpoints()).withAdminToken(
                FleetSidecars.adminTokenFile(dir.resolve("admin.token"), "reconnect-token-0123456789abcdef"));
        a = fleet.start(dir.resolve("a"), "sidecar-a");
        b = fleet.via(relay.endpoint()).start(dir.resolve("b"), "sidecar-b");
    }

    @AfterAll
    static void stopFleet() {
        for (AutoCloseable c : new AutoCloseable[] {b, a, relay, etcd}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // stopping anyway
            }
        }
    }

    @BeforeEach
    void bothSidecarsServeTheSameFleetState() {
        awaitOnB(() -> connected(b) && revision(b, "db.pool.size") == revision(a, "db.pool.size")
                && revision(b, "search.ranker") == revision(a, "search.ranker"));
    }

    /** Awaits {@code condition}, patiently; when it never holds, the failure shows B's log. */
    private static void awaitOnB(Callable<Boolean> condition) {
        try {
            await().atMost(PATIENCE).ignoreExceptions().until(condition);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "\nsidecar B's log:\n" + String.join("\n", b.output()), e);
        }
    }

    @AfterEach
    void reconnectB() throws Exception {
        relay.restore();
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    /** What a read on {@code s} answers about {@code key}'s migration: id, percent and state. */
    private static JsonNode served(SidecarProcess s, String key) throws Exception {
        HttpResponse<String> r = s.get("/v1/settings/" + key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(r).path("migration");
    }

    private static long revision(SidecarProcess s, String key) throws Exception {
        return json(s.adminGet("/admin/v1/migrations/" + key)).path("revision").asLong();
    }

    /** The fleet's newest audit sequence number, as {@code s} has it. */
    private static long lastSeq(SidecarProcess s) throws Exception {
        return json(s.adminGet("/admin/v1/events?limit=1")).path("lastSeq").asLong();
    }

    private static boolean connected(SidecarProcess s) throws Exception {
        HttpResponse<String> ready = s.getOps("/ready");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        return json(ready).path("store").path("connected").asBoolean();
    }

    /** {@code key}'s events on {@code s} after {@code since}, as "seq action percent state by instance". */
    private static List<String> eventsAfter(SidecarProcess s, String key, long since) throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode e : json(s.adminGet("/admin/v1/events?key=" + key + "&since=" + since)).path("events")) {
            out.add(e.path("seq").asLong() + " " + e.path("action").asText() + " " + e.path("to").path("percent").asDouble()
                    + " " + e.path("to").path("state").asText() + " by " + e.path("instance").asText());
        }
        return out;
    }

    private static void changeThroughA(String key, String action, String body) {
        HttpResponse<String> r = a.adminPost("/admin/v1/migrations/" + key + "/" + action, body);
        assertThat(r.statusCode()).as(action + " " + body + ": " + r.body()).isEqualTo(200);
    }

    /** The revisions B's log says it resumed its watch from, in the lines after {@code fromLine}. */
    private static List<Long> resumedFrom(int fromLine) {
        List<String> lines = b.output();
        List<Long> out = new ArrayList<>();
        for (String line : lines.subList(Math.min(fromLine, lines.size()), lines.size())) {
            Matcher m = RESUMED.matcher(line);
            if (m.find()) {
                out.add(Long.parseLong(m.group(1)));
            }
        }
        return out;
    }

    private void cutOffB() {
        relay.cut();
        // Its watch breaks at once; /ready says so while staying 200.
        await().atMost(PATIENCE).until(() -> !connected(b));
    }

    @Test
    @Order(1)
    void aSidecarCutOffFromEtcdResumesItsWatchWhereItLeftOffAndMissesNoChange() throws Exception {
        String key = "db.pool.size";
        JsonNode before = served(b, key);
        long seqBefore = lastSeq(a);
        int logMark = b.output().size();

        cutOffB();
        // Everything B has seen is at or below this revision: the changes below all come after it.
        long etcdBefore = etcd.revision();
        changeThroughA(key, "percent", "{\"percent\": 10, \"reason\": \"while b is away\"}");
        changeThroughA(key, "percent", "{\"percent\": 20}");
        changeThroughA(key, "percent", "{\"percent\": 30}");
        changeThroughA(key, "pause", "{\"reason\": \"hold it there\"}");
        assertThat(served(a, key).path("state").asText()).isEqualTo("paused");

        // Away, B keeps answering reads with the last state it had.
        assertThat(served(b, key)).isEqualTo(before);
        assertThat(connected(b)).isFalse();

        relay.restore();
        awaitOnB(() -> served(b, key).equals(served(a, key)) && revision(b, key) == revision(a, key));
        assertThat(served(b, key).path("percent").asDouble()).isEqualTo(30.0);
        assertThat(served(b, key).path("state").asText()).isEqualTo("paused");

        // Every change made while B was away is in B's audit trail, in order, as A made it.
        List<String> missed = eventsAfter(b, key, seqBefore);
        assertThat(missed).containsExactly(
                (seqBefore + 1) + " set_percent 10.0 running by sidecar-a",
                (seqBefore + 2) + " set_percent 20.0 running by sidecar-a",
                (seqBefore + 3) + " set_percent 30.0 running by sidecar-a",
                (seqBefore + 4) + " pause 30.0 paused by sidecar-a");
        assertThat(missed).isEqualTo(eventsAfter(a, key, seqBefore));

        // Replayed by a resumed watch, from no later than the first change it missed; not read again.
        List<Long> resumed = await().atMost(PATIENCE).until(() -> resumedFrom(logMark), l -> !l.isEmpty());
        assertThat(resumed).as(String.join("\n", b.output()))
                .allSatisfy(from -> assertThat(from).isPositive().isLessThanOrEqualTo(etcdBefore + 1));
        assertThat(b.output().subList(logMark, b.output().size()))
                .noneMatch(line -> line.contains("reading the whole state again"));
    }

    @Test
    @Order(2)
    void aWatchThatBreaksRightAfterEtcdAcceptedItResumesFromTheLastChangeSeenNotFromEtcdsNewestRevision()
            throws Exception {
        String key = "search.ranker";
        long seqBefore = lastSeq(a);
        int logMark = b.output().size();

        cutOffB();
        long etcdBefore = etcd.revision();
        changeThroughA(key, "percent", "{\"percent\": 40}");
        changeThroughA(key, "percent", "{\"percent\": 50}");

        // etcd answers a watch that starts in the past first with "created", stamped with its newest
        // revision, and replays the missed changes only after that (on its next sync, within 100 ms). B's
        // first watch breaks between the two: it must not take that stamp for a revision it has seen.
        int droppedBefore = relay.dropped();
        relay.dropAfterLineContaining("\"created\":true");
        relay.restore();
        await().atMost(PATIENCE).until(() -> relay.dropped() > droppedBefore);

        awaitOnB(() -> served(b, key).equals(served(a, key)) && revision(b, key) == revision(a, key));
        assertThat(served(b, key).path("percent").asDouble()).isEqualTo(50.0);
        assertThat(eventsAfter(b, key, seqBefore)).containsExactly(
                (seqBefore + 1) + " set_percent 40.0 running by sidecar-a",
                (seqBefore + 2) + " set_percent 50.0 running by sidecar-a");
        List<Long> resumed = await().atMost(PATIENCE).until(() -> resumedFrom(logMark), l -> l.size() >= 2);
        assertThat(resumed).as(String.join("\n", b.output()))
                .allSatisfy(from -> assertThat(from).isPositive().isLessThanOrEqualTo(etcdBefore + 1));
    }
}

package io.crossfade.sidecar.state;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.config.MigrationState;
import io.crossfade.config.Percent;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.AuditEvent;
import io.crossfade.sidecar.rollout.MigrationRecord;
import io.crossfade.sidecar.rollout.StoredState;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long life (issue H): 1 000 000 audit events leave the real sidecar's memory flat and its disk
 * bounded, and recovery after {@code kill -9} correct. The first {@value #OFFLINE} events are a past
 * life, written with the sidecar's own store classes into its state directory before it starts (the
 * old whole-log-in-memory design could not even open them under the harness's heap); the last
 * {@value #LIVE} are operator changes over HTTP, during which RSS ({@code VmRSS}) is sampled. Tagged
 * slow: a few minutes. On a tmpfs when one can be mounted (fast fsync), else a temporary directory.
 */
@Tag("slow")
class AuditLongLifeIT {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLongLifeIT.class);
    private static final int TOTAL = 1_000_000;
    private static final int LIVE = 50_000;
    private static final int OFFLINE = TOTAL - LIVE;
    private static final String KEY = "db.pool.size";
    private static final String RETENTION = "0d,64MiB";
    private static final long RSS_GROWTH_BOUND = 64L << 20;

    @TempDir
    Path settings;
    @TempDir
    Path base;
    boolean mounted;
    SidecarProcess sidecar;

    @AfterEach
    void cleanUp() throws Exception {
        if (sidecar != null) {
            sidecar.close();
        }
        if (mounted) {
            new ProcessBuilder("umount", "-l", base.toString()).start().waitFor();
        }
    }

    @Test
    void aMillionEventsLeaveMemoryFlatDiskBoundedAndRecoveryCorrect() throws Exception {
        mounted = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=512m", "tmpfs", base.toString())
                .start().waitFor() == 0;
        Path state = base.resolve("state");
        SettingsFiles.copyDirectory(Path.of("..", "examples", "settings"), settings);
        sidecar = start(state);
        sidecar.close();

        long started = System.nanoTime();
        int lastPercent = writePastLife(state);
        LOG.info("wrote {} events of a past life in {} s", OFFLINE, (System.nanoTime() - started) / 1_000_000_000);

        sidecar = start(state);
        assertThat(percentServed()).isEqualTo(Percent.toDecimal(lastPercent).doubleValue());
        long seqAtStart = lastSeq();
        assertThat(seqAtStart).isGreaterThanOrEqualTo(OFFLINE);

        // Warm up (JIT, heap sizing), then measure from there.
        setPercents(5_000);
        long rssBefore = rss(sidecar.pid());
        started = System.nanoTime();
        setPercents(LIVE - 5_000);
        pageThroughEvents();
        long rssAfter = rss(sidecar.pid());
        LOG.info("{} live changes in {} s; RSS {} MiB -> {} MiB; audit log {} MiB on disk", LIVE,
                (System.nanoTime() - started) / 1_000_000_000, rssBefore >> 20, rssAfter >> 20, auditBytes(state) >> 20);
        assertThat(rssAfter - rssBefore).as("RSS growth over %d events", LIVE).isLessThan(RSS_GROWTH_BOUND);
        assertThat(auditBytes(state)).as("audit log on disk").isLessThan((64L << 20) + (16L << 20));

        long seqBeforeKill = lastSeq();
        assertThat(seqBeforeKill).isGreaterThanOrEqualTo(TOTAL);
        double percentBeforeKill = percentServed();
        long revisionBeforeKill = json(sidecar.adminGet("/admin/v1/migrations/" + KEY)).path("revision").asLong();
        sidecar.kill9();

        sidecar = start(state);
        assertThat(percentServed()).isEqualTo(percentBeforeKill);
        assertThat(json(sidecar.adminGet("/admin/v1/migrations/" + KEY)).path("revision").asLong())
                .isEqualTo(revisionBeforeKill);
        assertThat(lastSeq()).isEqualTo(seqBeforeKill);
        JsonNode tail = json(sidecar.adminGet("/admin/v1/events?since=" + (seqBeforeKill - 3)));
        assertThat(tail.path("events")).extracting(e -> e.path("seq").asLong())
                .containsExactly(seqBeforeKill - 2, seqBeforeKill - 1, seqBeforeKill);
        JsonNode oldest = json(sidecar.adminGet("/admin/v1/events?since=0&limit=2&key=" + KEY));
        assertThat(oldest.path("more").asBoolean()).isTrue();
        assertThat(sidecar.adminPost("/admin/v1/migrations/" + KEY + "/percent", "{\"percent\": 42}").statusCode())
                .isEqualTo(200);
        assertThat(lastSeq()).isEqualTo(seqBeforeKill + 1);
    }

    private SidecarProcess start(Path state) {
        // The heap is committed and touched up front: RSS then grows only if something outside a fixed
        // heap does, and a heap that had to hold the log would fail with OutOfMemoryError instead.
        return SidecarProcess.start(settings, state, List.of("-Xms128m", "-Xmx128m", "-XX:+AlwaysPreTouch"), Map.of(),
                "--audit-retention", RETENTION);
    }

    /** Commits {@value #OFFLINE} percent changes through the sidecar's own store, a thousand per commit. */
    private static int writePastLife(Path state) throws Exception {
        int percent = 0;
        try (FileMigrationStore store = FileMigrationStore.open(state, AuditRetention.parse(RETENTION),
                Clock.systemUTC())) {
            StoredState loaded = store.load();
            MigrationRecord record = loaded.migrations().stream().filter(r -> r.key().equals(KEY)).findFirst()
                    .orElseThrow();
            long revision = loaded.revision();
            for (int done = 0; done < OFFLINE; done += 1_000) {
                List<AuditEvent> batch = new ArrayList<>(1_000);
                for (int i = done; i < done + 1_000; i++) {
                    MigrationRecord before = record;
                    percent = (i * 7) % 100_001;
                    record = record.with(percent, MigrationState.RUNNING);
                    batch.add(new AuditEvent(0, Instant.now(), "past-life", KEY, record.id(), "set_percent",
                            summary(before), summary(record), "change " + i, record));
                }
                List<AuditEvent> written = store.commit(revision, batch, 0);
                revision = written.get(written.size() - 1).seq();
                record = written.get(written.size() - 1).record();
            }
        }
        return percent;
    }

    private static ObjectNode summary(MigrationRecord r) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("percent", Percent.toDecimal(r.percent()));
        node.put("state", r.state().wireName());
        return node;
    }

    /** {@code count} operator changes, 16 in flight at a time. */
    private void setPercents(int count) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        URI uri = sidecar.opsUri().resolve("/admin/v1/migrations/" + KEY + "/percent");
        String token = sidecar.adminToken();
        List<CompletableFuture<HttpResponse<Void>>> inFlight = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String body = "{\"percent\": " + (i % 100) + "}";
            inFlight.add(http.sendAsync(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding()));
            if (inFlight.size() == 16 || i == count - 1) {
                for (CompletableFuture<HttpResponse<Void>> f : inFlight) {
                    assertThat(f.join().statusCode()).isEqualTo(200);
                }
                inFlight.clear();
            }
        }
    }

    /** Pages through the newest 20 000 events, 1 000 at a time, as an auditor would. */
    private void pageThroughEvents() {
        long since = lastSeq() - 20_000;
        long expected = since + 1;
        boolean more = true;
        while (more) {
            JsonNode page = json(sidecar.adminGet("/admin/v1/events?limit=1000&since=" + since));
            for (JsonNode e : page.path("events")) {
                assertThat(e.path("seq").asLong()).isEqualTo(expected++);
            }
            more = page.path("more").asBoolean();
            since = page.path("next").asLong();
        }
    }

    private double percentServed() {
        return json(sidecar.get("/v1/settings/" + KEY)).path("migration").path("percent").asDouble();
    }

    private long lastSeq() {
        return json(sidecar.adminGet("/admin/v1/events?limit=1")).path("lastSeq").asLong();
    }

    private static long rss(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for pid " + pid);
    }

    private static long auditBytes(Path state) throws IOException {
        try (Stream<Path> files = Files.list(state)) {
            return files.filter(p -> p.getFileName().toString().startsWith("audit")).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }
}

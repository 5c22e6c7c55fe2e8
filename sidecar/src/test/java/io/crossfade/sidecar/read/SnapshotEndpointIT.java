package io.crossfade.sidecar.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crossfade.config.Resolution;
import io.crossfade.config.SnapshotDocument;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/snapshot} against the real sidecar. */
class SnapshotEndpointIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path settings;
    @TempDir
    Path state;

    private SidecarProcess sidecar;

    @BeforeEach
    void start() throws Exception {
        Files.writeString(settings.resolve("app.yaml"), """
                settings:
                  pool: { value: 10 }
                  banner: { value: { text: hi } }
                migrations:
                  pool: { to: 20, percent: 12.5 }
                """);
        sidecar = SidecarProcess.start(settings, state, "--instance-id", "host-a");
    }

    @AfterEach
    void stop() {
        sidecar.close();
    }

    private static JsonNode json(String body) throws Exception {
        return MAPPER.readTree(body);
    }

    @Test
    void theDocumentResolvesEveryUnitAsTheReadApiDoes() throws Exception {
        HttpResponse<String> r = sidecar.get("/v1/snapshot");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        SnapshotDocument doc = SnapshotDocument.read(json(r.body()));
        assertThat(doc.instanceId()).isEqualTo("host-a");
        assertThat(r.headers().firstValue("etag")).hasValue("\"" + doc.snapshot().version() + "\"");
        assertThat(json(r.body()).at("/migrations/pool/percent").decimalValue()).isEqualByComparingTo("12.5");

        for (int u = 0; u < 200; u++) {
            JsonNode overHttp = json(sidecar.get("/v1/settings/pool?unit=user-" + u).body());
            Resolution local = doc.snapshot().resolve("pool", "user-" + u);
            assertThat(local.variant().wireName()).as("user-%d", u).isEqualTo(overHttp.get("variant").asText());
            assertThat(local.value()).isEqualTo(overHttp.get("value"));
        }
        JsonNode withoutUnit = json(sidecar.get("/v1/settings/pool").body());
        assertThat(doc.snapshot().resolve("pool", doc.instanceId()).variant().wireName())
                .isEqualTo(withoutUnit.get("variant").asText());
    }

    @Test
    void theCurrentVersionAnswers304() {
        HttpResponse<String> first = sidecar.get("/v1/snapshot");
        String etag = first.headers().firstValue("etag").orElseThrow();
        HttpResponse<String> again = SidecarProcess.send(HttpRequest.newBuilder(sidecar.readUri().resolve("/v1/snapshot"))
                .header("If-None-Match", etag).build());
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        HttpResponse<String> stale = SidecarProcess.send(HttpRequest.newBuilder(sidecar.readUri().resolve("/v1/snapshot"))
                .header("If-None-Match", "\"1\"").build());
        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(stale.body()).isEqualTo(first.body());
    }

    private HttpResponse<String> snapshotIfNoneMatch(String header) {
        return SidecarProcess.send(HttpRequest.newBuilder(sidecar.readUri().resolve("/v1/snapshot"))
                .header("If-None-Match", header).build());
    }

    @Test
    void aWeakTagOfTheCurrentVersionAnswers304() {
        String etag = sidecar.get("/v1/snapshot").headers().firstValue("etag").orElseThrow();
        assertThat(snapshotIfNoneMatch("W/" + etag).statusCode()).isEqualTo(304);
    }

    @Test
    void aListNamingTheCurrentVersionAnswers304() {
        String etag = sidecar.get("/v1/snapshot").headers().firstValue("etag").orElseThrow();
        assertThat(snapshotIfNoneMatch("\"1\", " + etag + " , W/\"2\"").statusCode()).isEqualTo(304);
        assertThat(snapshotIfNoneMatch("\"1\", W/\"2\"").statusCode()).isEqualTo(200);
    }

    @Test
    void aStarAnswers304() {
        HttpResponse<String> r = snapshotIfNoneMatch("*");
        assertThat(r.statusCode()).isEqualTo(304);
        assertThat(r.headers().firstValue("etag")).isPresent();
    }

    @Test
    void aReloadServesTheNewSnapshot() throws Exception {
        long before = SnapshotDocument.read(json(sidecar.get("/v1/snapshot").body())).snapshot().version();
        Files.writeString(settings.resolve("app.yaml"), """
                settings:
                  pool: { value: 10 }
                  banner: { value: { text: hi } }
                migrations:
                  pool: { to: 30, percent: 50 }
                """);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            SnapshotDocument doc = SnapshotDocument.read(json(sidecar.get("/v1/snapshot").body()));
            assertThat(doc.snapshot().version()).isGreaterThan(before);
            assertThat(doc.snapshot().migration("pool").spec().to().asInt()).isEqualTo(30);
            assertThat(doc.snapshot().migration("pool").status().effectivePercent()).isEqualTo(50_000);
        });
    }

    @Test
    void onlyGetAndHeadAreAllowed() {
        HttpResponse<String> r = SidecarProcess.send(HttpRequest.newBuilder(sidecar.readUri().resolve("/v1/snapshot"))
                .DELETE().build());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.body()).contains("method_not_allowed");
    }
}

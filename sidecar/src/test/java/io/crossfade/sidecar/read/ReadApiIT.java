package io.crossfade.sidecar.read;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.Bucketing;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.testing.RunningSidecar;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The read API of the real sidecar: every endpoint, field, header and the unit rules. */
class ReadApiIT {

    private static final String POOL = "db.pool.size";
    private static final int POOL_PERCENT = 50_000;
    /** An instance id on the new side, while an empty unit would be on the old one: proves which was used. */
    private static final String INSTANCE_ID = firstUnit("pod-",
            u -> Bucketing.variant(POOL, u, POOL_PERCENT) == Variant.NEW
                    && Bucketing.variant(POOL, "", POOL_PERCENT) != Variant.NEW);

    @RegisterExtension
    static final RunningSidecar sidecar = RunningSidecar.withFile("checkout.yaml", """
                settings:
                  db.pool.size:
                    value: 10
                    owner: team-data
                  payments.provider:
                    value: stripe
                  checkout.banner:
                    value: { text: "Free shipping", color: "#0a7", limits: [50, 75.5] }
                  feature.one_click:
                    value: true
                migrations:
                  db.pool.size:
                    to: 20
                    percent: 50
                    owner: alice
                    expected: p99 unchanged
                    rollback: percent 0
                """)
            .andFile("search.json", """
                {"settings": {
                  "search.model": {"value": "bm25"},
                  "search.weights": {"value": [1, 2.5, "x", null]}
                }}
                """)
            .args("--instance-id", INSTANCE_ID);

    static String firstUnit(String prefix, Predicate<String> wanted) {
        for (int i = 0; ; i++) {
            if (wanted.test(prefix + i)) {
                return prefix + i;
            }
        }
    }

    static String unitOn(Variant variant) {
        return firstUnit("user-", u -> Bucketing.variant(POOL, u, POOL_PERCENT) == variant);
    }

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    long servedVersion() {
        return json(sidecar.getOps("/ready")).path("version").asLong();
    }

    @Test
    void aStaticSettingAnswersExactlyTheDesignedFields() {
        HttpResponse<String> r = sidecar.get("/v1/settings/payments.provider?unit=user-1");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = json(r);
        assertThat(body.properties()).extracting(Map.Entry::getKey)
                .containsExactly("key", "value", "variant", "version", "migration");
        assertThat(body.path("key").asText()).isEqualTo("payments.provider");
        assertThat(body.path("value").asText()).isEqualTo("stripe");
        assertThat(body.path("variant").asText()).isEqualTo("static");
        assertThat(body.path("version").isIntegralNumber()).isTrue();
        assertThat(body.path("version").asLong()).isEqualTo(servedVersion());
        assertThat(body.get("migration").isNull()).isTrue();
        assertThat(r.headers().firstValue("X-Crossfade-Variant")).hasValue("static");
        assertThat(r.headers().firstValue("ETag")).hasValueSatisfying(etag -> assertThat(etag).matches("\"[^\"]+\""));
    }

    @Test
    void aMigratedSettingNamesItsMigrationAndTheUnitsSide() {
        String oldUnit = unitOn(Variant.OLD);
        String newUnit = unitOn(Variant.NEW);

        JsonNode old = json(sidecar.get("/v1/settings/db.pool.size?unit=" + oldUnit));
        JsonNode neu = json(sidecar.get("/v1/settings/db.pool.size?unit=" + newUnit));

        assertThat(old.path("variant").asText()).isEqualTo("old");
        assertThat(old.path("value").asInt()).isEqualTo(10);
        assertThat(neu.path("variant").asText()).isEqualTo("new");
        assertThat(neu.path("value").asInt()).isEqualTo(20);
        JsonNode migration = old.path("migration");
        assertThat(migration.properties()).extracting(Map.Entry::getKey).containsExactly("id", "percent", "state");
        assertThat(migration.path("id").asText()).matches("[0-9a-f]{16}");
        assertThat(migration.path("percent").decimalValue()).isEqualByComparingTo("50");
        assertThat(migration.path("state").asText()).isEqualTo("running");
        assertThat(neu.path("migration")).isEqualTo(migration);
    }

    @Test
    void theVariantHeaderAndTheEtagFollowTheUnitsSide() {
        HttpResponse<String> old = sidecar.get("/v1/settings/db.pool.size?unit=" + unitOn(Variant.OLD));
        HttpResponse<String> neu = sidecar.get("/v1/settings/db.pool.size?unit=" + unitOn(Variant.NEW));

        assertThat(old.headers().firstValue("X-Crossfade-Variant")).hasValue("old");
        assertThat(neu.headers().firstValue("X-Crossfade-Variant")).hasValue("new");
        assertThat(old.headers().firstValue("ETag")).isPresent().isNotEqualTo(neu.headers().firstValue("ETag"));
    }

    @Test
    void ifNoneMatchWithTheCurrentEtagAnswers304WithoutABody() {
        String path = "/v1/settings/db.pool.size?unit=" + unitOn(Variant.NEW);
        String etag = sidecar.get(path).headers().firstValue("ETag").orElseThrow();

        for (String header : List.of(etag, "W/" + etag, "\"something-else\", " + etag, "*")) {
            HttpResponse<String> r = SidecarProcess.send(HttpRequest.newBuilder(sidecar.readUri().resolve(path))
                    .header("If-None-Match", header).build());
            assertThat(r.statusCode()).as("If-None-Match: %s", header).isEqualTo(304);
            assertThat(r.body()).isEmpty();
            assertThat(r.headers().firstValue("ETag")).hasValue(etag);
            assertThat(r.headers().firstValue("X-Crossfade-Variant")).hasValue("new");
        }
    }

    @Test
    void ifNoneMatchWithAnotherEtagAnswersTheFullBody() {
        String newPath = "/v1/settings/db.pool.size?unit=" + unitOn(Variant.NEW);
        String oldEtag = sidecar.get("/v1/settings/db.pool.size?unit=" + unitOn(Variant.OLD))
                .headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> r = SidecarProcess.send(HttpRequest.newBuilder(sidecar.readUri().resolve(newPath))
                .header("If-None-Match", oldEtag).build());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).path("value").asInt()).isEqualTo(20);
    }

    @Test
    void theValueEndpointAnswersTheBareJsonValue() {
        assertThat(sidecar.get("/v1/settings/db.pool.size/value?unit=" + unitOn(Variant.OLD)).body()).isEqualTo("10");
        assertThat(sidecar.get("/v1/settings/db.pool.size/value?unit=" + unitOn(Variant.NEW)).body()).isEqualTo("20");
        assertThat(sidecar.get("/v1/settings/payments.provider/value").body()).isEqualTo("\"stripe\"");
        assertThat(sidecar.get("/v1/settings/feature.one_click/value").body()).isEqualTo("true");
        assertThat(json(sidecar.get("/v1/settings/checkout.banner/value")))
                .isEqualTo(json("{\"text\":\"Free shipping\",\"color\":\"#0a7\",\"limits\":[50,75.5]}"));
        assertThat(sidecar.get("/v1/settings/search.weights/value").body()).isEqualTo("[1,2.5,\"x\",null]");
        HttpResponse<String> r = sidecar.get("/v1/settings/db.pool.size/value?unit=" + unitOn(Variant.NEW));
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        assertThat(r.headers().firstValue("X-Crossfade-Variant")).hasValue("new");
        assertThat(r.headers().firstValue("ETag")).isPresent();
    }

    @Test
    void aPrefixListsMatchingSettingsFromOneSnapshot() {
        JsonNode body = json(sidecar.get("/v1/settings?prefix=search.&unit=user-1"));

        assertThat(body.properties()).extracting(Map.Entry::getKey).containsExactly("version", "settings");
        assertThat(body.path("version").asLong()).isEqualTo(servedVersion());
        assertThat(body.path("settings")).isEqualTo(json("""
                {"search.model": {"variant": "static", "value": "bm25"},
                 "search.weights": {"variant": "static", "value": [1, 2.5, "x", null]}}"""));
    }

    @Test
    void aListWithoutPrefixHasEverySettingAndEachUnitsSide() {
        for (Variant side : List.of(Variant.OLD, Variant.NEW)) {
            JsonNode settings = json(sidecar.get("/v1/settings?unit=" + unitOn(side))).path("settings");

            assertThat(settings.properties()).extracting(Map.Entry::getKey).containsExactlyInAnyOrder(
                    "db.pool.size", "payments.provider", "checkout.banner", "feature.one_click", "search.model",
                    "search.weights");
            assertThat(settings.path(POOL).path("variant").asText()).isEqualTo(side.wireName());
            assertThat(settings.path(POOL).path("value").asInt()).isEqualTo(side == Variant.NEW ? 20 : 10);
        }
        assertThat(json(sidecar.get("/v1/settings?prefix=nothing.here")).path("settings").isEmpty()).isTrue();
    }

    @Test
    void theUnitHeaderWorksLikeTheUnitParameter() {
        for (Variant side : List.of(Variant.OLD, Variant.NEW)) {
            String unit = unitOn(side);
            HttpResponse<String> r = SidecarProcess.send(HttpRequest.newBuilder(
                    sidecar.readUri().resolve("/v1/settings/db.pool.size")).header("X-Crossfade-Unit", unit).build());
            assertThat(json(r).path("variant").asText()).as("unit %s by header", unit).isEqualTo(side.wireName());

            HttpResponse<String> list = SidecarProcess.send(HttpRequest.newBuilder(
                    sidecar.readUri().resolve("/v1/settings?prefix=db.")).header("X-Crossfade-Unit", unit).build());
            assertThat(json(list).path("settings").path(POOL).path("variant").asText()).isEqualTo(side.wireName());
        }
    }

    @Test
    void aReadWithoutUnitUsesTheInstanceId() {
        assertThat(Bucketing.variant(POOL, INSTANCE_ID, POOL_PERCENT)).isEqualTo(Variant.NEW);

        assertThat(json(sidecar.get("/v1/settings/db.pool.size")).path("variant").asText()).isEqualTo("new");
        assertThat(json(sidecar.get("/v1/settings/db.pool.size?unit=")).path("variant").asText()).isEqualTo("new");
        assertThat(sidecar.get("/v1/settings/db.pool.size/value").body()).isEqualTo("20");
        assertThat(json(sidecar.get("/v1/settings?prefix=db.")).path("settings").path(POOL).path("variant").asText())
                .isEqualTo("new");
        assertThat(sidecar.output()).anyMatch(line -> line.contains("instance id " + INSTANCE_ID));
    }

    /** Non-ASCII units: the same text gives the same side whether sent percent-encoded or as UTF-8 header bytes. */
    @ParameterizedTest
    @ValueSource(strings = {"José", "用户-42", "ünïcødé-7", "😀-emoji", "Ωmega"})
    void aNonAsciiUnitBucketsTheSameByParameterAndByHeader(String base) {
        for (int i = 0; i < 8; i++) {
            String unit = base + i;
            String expected = Bucketing.variant(POOL, unit, POOL_PERCENT).wireName();
            HttpResponse<String> byParameter = sidecar.get("/v1/settings/db.pool.size?unit=" + q(unit));
            // the header's UTF-8 bytes as they are on the wire, as curl sends them (the listeners speak HTTP/1.x)
            byte[] request = ("GET /v1/settings/db.pool.size HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    + "X-Crossfade-Unit: " + unit + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
            io.crossfade.sidecar.testing.RawHttp.Answer byHeader = io.crossfade.sidecar.testing.RawHttp.exchange(
                    sidecar.readUri(), request, 30_000);

            assertThat(json(byParameter).path("variant").asText()).as("unit %s by parameter", unit).isEqualTo(expected);
            assertThat(io.crossfade.sidecar.testing.ApiAnswers.json(byHeader.body()).path("variant").asText())
                    .as("unit %s by header", unit).isEqualTo(expected);
        }
    }

    /** Over HTTP/1.1 and over HTTP/2 (the JDK client's h2c upgrade), where Vert.x would send the body. */
    @ParameterizedTest
    @EnumSource(HttpClient.Version.class)
    void headAnswersTheHeadersWithoutABody(HttpClient.Version version) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(version).build();
        for (String path : List.of("/v1/settings/payments.provider", "/v1/settings/payments.provider/value",
                "/v1/settings?prefix=pay", "/ready", "/health", "/v1/settings/no.such.key")) {
            HttpRequest head = HttpRequest.newBuilder(sidecar.readUri().resolve(path))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
            HttpResponse<String> r = client.send(head, HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> get = client.send(HttpRequest.newBuilder(sidecar.readUri().resolve(path)).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(r.statusCode()).as("HEAD %s", path).isEqualTo(get.statusCode());
            assertThat(r.body()).as("HEAD %s over %s", path, version).isEmpty();
            assertThat(r.headers().firstValueAsLong("content-length")).as("HEAD %s", path)
                    .hasValue(get.body().getBytes(StandardCharsets.UTF_8).length);
        }
    }

    @Test
    void healthAndReadyAnswerOnBothListeners() {
        for (URI base : List.of(sidecar.readUri(), sidecar.opsUri())) {
            HttpResponse<String> health = SidecarProcess.send(HttpRequest.newBuilder(base.resolve("/health")).build());
            assertThat(health.statusCode()).as("/health on %s", base).isEqualTo(200);
            assertThat(json(health).path("status").asText()).isEqualTo("ok");

            HttpResponse<String> ready = SidecarProcess.send(HttpRequest.newBuilder(base.resolve("/ready")).build());
            assertThat(ready.statusCode()).as("/ready on %s", base).isEqualTo(200);
            JsonNode body = json(ready);
            assertThat(body.path("status").asText()).isEqualTo("ready");
            assertThat(body.path("version").asLong()).isPositive();
            assertThat(body.path("settings").asInt()).isEqualTo(6);
            JsonNode source = body.path("source");
            assertThat(source.path("type").asText()).isEqualTo("directory");
            if (base.equals(sidecar.opsUri())) {
                assertThat(Path.of(source.path("location").asText())).isEqualTo(sidecar.settingsDir().toAbsolutePath().normalize());
            } else {
                // the read listener is reachable by whatever runs beside the service: it names no paths
                assertThat(ready.body()).doesNotContain(sidecar.settingsDir().toAbsolutePath().normalize().toString());
            }
            assertThat(source.path("version").asText()).matches("[0-9a-f]{12}");
            assertThat(source.path("lastKnownGood").asBoolean(true)).isFalse();
            assertThat(source.path("loadedAt").asText()).isNotBlank();
            assertThat(source.get("reloadError").isNull()).isTrue();
            JsonNode migration = body.path("migrations").path(POOL);
            assertThat(migration.path("id").asText()).matches("[0-9a-f]{16}");
            assertThat(migration.path("state").asText()).isEqualTo("running");
            assertThat(migration.path("percent").decimalValue()).isEqualByComparingTo("50");
        }
    }
}

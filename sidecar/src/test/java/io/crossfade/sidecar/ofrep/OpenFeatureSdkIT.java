package io.crossfade.sidecar.ofrep;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openfeature.contrib.providers.ofrep.OfrepProvider;
import dev.openfeature.contrib.providers.ofrep.OfrepProviderOptions;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.ErrorCode;
import dev.openfeature.sdk.EvaluationContext;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.openfeature.sdk.Value;
import io.crossfade.config.Bucketing;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.testing.BulkReads;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real OpenFeature Java SDK with its OFREP provider ({@code dev.openfeature.contrib.providers:ofrep})
 * against the real sidecar jar: what a Java service using OpenFeature sees is what
 * {@code GET /v1/settings/{key}} answers, and OpenFeature's error handling works on Crossfade's answers.
 */
class OpenFeatureSdkIT {

    private static final String DOMAIN = "crossfade-ofrep-it";
    private static final String INSTANCE_ID = "pod-7";

    @TempDir
    static Path settings;
    @TempDir
    static Path state;
    static SidecarProcess sidecar;
    static Client client;

    @BeforeAll
    static void start() {
        SettingsFiles.write(settings, "app.yaml", """
                settings:
                  db.pool.size:
                    value: 10
                  payments.provider:
                    value: stripe
                  checkout.banner:
                    value: { text: "Free shipping", limits: [50, 75.5] }
                  feature.one_click:
                    value: false
                  sampling.ratio:
                    value: 0.25
                  search.model:
                    value: bm25
                  cache.ttl_s:
                    value: 60
                migrations:
                  db.pool.size:
                    to: 20
                    percent: 37.5
                  feature.one_click:
                    to: true
                    percent: 50
                  search.model:
                    to: vector
                    percent: 0
                  cache.ttl_s:
                    to: 120
                    percent: 100
                """);
        sidecar = SidecarProcess.start(settings, state, "--instance-id", INSTANCE_ID);
        OfrepProvider provider = OfrepProvider.constructProvider(OfrepProviderOptions.builder()
                .baseUrl(sidecar.readUri().toString().replaceAll("/$", ""))
                .connectTimeout(Duration.ofSeconds(10))
                .requestTimeout(Duration.ofSeconds(30))
                .build());
        OpenFeatureAPI.getInstance().setProviderAndWait(DOMAIN, provider);
        client = OpenFeatureAPI.getInstance().getClient(DOMAIN);
    }

    @AfterAll
    static void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    static EvaluationContext unit(String unit) {
        return new ImmutableContext(unit);
    }

    static JsonNode read(String key, String unit) {
        return json(sidecar.get("/v1/settings/" + key + (unit == null ? "" : "?unit=" + unit)));
    }

    /** Asserts the SDK's details carry what the read API answered. */
    static void assertSameAsReadApi(FlagEvaluationDetails<?> details, JsonNode read) {
        assertThat(details.getErrorCode()).as("error of %s: %s", read, details.getErrorMessage()).isNull();
        assertThat(details.getVariant()).isEqualTo(read.path("variant").asText());
        assertThat(details.getFlagMetadata().getLong("version")).isEqualTo(read.path("version").asLong());
        JsonNode migration = read.path("migration");
        if (migration.isNull()) {
            assertThat(details.getReason()).isEqualTo("STATIC");
            assertThat(details.getFlagMetadata().getString("migrationId")).isNull();
        } else {
            int percent = migration.path("percent").decimalValue().multiply(java.math.BigDecimal.valueOf(1000)).intValue();
            boolean blending = percent > 0 && percent < 100_000;
            assertThat(details.getReason()).isEqualTo(blending ? "SPLIT" : "STATIC");
            assertThat(details.getFlagMetadata().getString("migrationId")).isEqualTo(migration.path("id").asText());
            assertThat(details.getFlagMetadata().getString("state")).isEqualTo(migration.path("state").asText());
            assertThat(((Number) details.getFlagMetadata().asUnmodifiableMap().get("percent")).doubleValue())
                    .isEqualTo(migration.path("percent").doubleValue());
        }
    }

    @Test
    void forThousandsOfUnitsTheSdkGetsWhatTheReadApiAnswers() throws Exception {
        int units = 2000;
        String[] reads = new String[units];
        try (BulkReads bulk = new BulkReads(sidecar.readUri())) {
            bulk.run(units, i -> "/v1/settings/db.pool.size?unit=user-" + i, answer -> reads[answer.index()] = answer.body());
        }
        // The SDK client is thread-safe: evaluate on a few threads, as a service's request threads would.
        List<FlagEvaluationDetails<Integer>> evaluated = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<FlagEvaluationDetails<Integer>>> futures = new ArrayList<>();
            for (int i = 0; i < units; i++) {
                String unit = "user-" + i;
                futures.add(threads.submit(() -> client.getIntegerDetails("db.pool.size", -1, unit(unit))));
            }
            for (Future<FlagEvaluationDetails<Integer>> f : futures) {
                evaluated.add(f.get(60, TimeUnit.SECONDS));
            }
        } finally {
            threads.shutdownNow();
        }
        int onNew = 0;
        for (int i = 0; i < units; i++) {
            String unit = "user-" + i;
            FlagEvaluationDetails<Integer> details = evaluated.get(i);
            JsonNode read = json(reads[i]);
            assertThat(details.getValue()).as("unit %s", unit).isEqualTo(read.path("value").intValue());
            assertSameAsReadApi(details, read);
            assertThat(details.getVariant()).isEqualTo(Bucketing.variant("db.pool.size", unit, 37_500).wireName());
            onNew += "new".equals(details.getVariant()) ? 1 : 0;
        }
        assertThat(onNew).as("units on new out of 2000 at 37.5 %").isBetween(600, 900);
    }

    @Test
    void everyJsonTypeReachesTheSdkAsItsOpenFeatureType() {
        for (String unit : new String[] {"user-1", "user-2", "user-3", "tenant-é"}) {
            FlagEvaluationDetails<Boolean> flag = client.getBooleanDetails("feature.one_click", null, unit(unit));
            assertThat(flag.getValue()).isEqualTo(read("feature.one_click", q(unit)).path("value").booleanValue());
            assertSameAsReadApi(flag, read("feature.one_click", q(unit)));

            FlagEvaluationDetails<String> string = client.getStringDetails("payments.provider", "none", unit(unit));
            assertThat(string.getValue()).isEqualTo("stripe");
            assertSameAsReadApi(string, read("payments.provider", q(unit)));

            FlagEvaluationDetails<Double> ratio = client.getDoubleDetails("sampling.ratio", -1.0, unit(unit));
            assertThat(ratio.getValue()).isEqualTo(0.25);
            assertSameAsReadApi(ratio, read("sampling.ratio", q(unit)));

            FlagEvaluationDetails<Value> banner = client.getObjectDetails("checkout.banner", new Value(), unit(unit));
            assertThat(banner.getValue().asStructure().getValue("text").asString()).isEqualTo("Free shipping");
            assertThat(banner.getValue().asStructure().getValue("limits").asList()).extracting(Value::asDouble)
                    .containsExactly(50.0, 75.5);
            assertSameAsReadApi(banner, read("checkout.banner", q(unit)));
        }
    }

    @Test
    void zeroAndHundredPercentAreStaticAndServeOneSide() {
        FlagEvaluationDetails<String> none = client.getStringDetails("search.model", "?", unit("user-1"));
        assertThat(none.getValue()).isEqualTo("bm25");
        assertThat(none.getVariant()).isEqualTo("old");
        assertThat(none.getReason()).isEqualTo("STATIC");
        assertSameAsReadApi(none, read("search.model", "user-1"));

        FlagEvaluationDetails<Integer> all = client.getIntegerDetails("cache.ttl_s", -1, unit("user-1"));
        assertThat(all.getValue()).isEqualTo(120);
        assertThat(all.getVariant()).isEqualTo("new");
        assertThat(all.getReason()).isEqualTo("STATIC");
        assertSameAsReadApi(all, read("cache.ttl_s", "user-1"));
    }

    @Test
    void withoutATargetingKeyTheInstanceIdIsTheUnit() {
        FlagEvaluationDetails<Integer> details = client.getIntegerDetails("db.pool.size", -1, new ImmutableContext());
        Variant expected = Bucketing.variant("db.pool.size", INSTANCE_ID, 37_500);
        assertThat(details.getVariant()).isEqualTo(expected.wireName());
        assertSameAsReadApi(details, read("db.pool.size", null));
        assertThat(client.getIntegerDetails("db.pool.size", -1, unit("")).getVariant()).isEqualTo(expected.wireName());
    }

    @Test
    void anUnknownKeyIsFlagNotFoundWithTheCallersDefault() {
        FlagEvaluationDetails<Integer> details = client.getIntegerDetails("no.such.setting", 42, unit("user-1"));
        assertThat(details.getValue()).isEqualTo(42);
        assertThat(details.getErrorCode()).isEqualTo(ErrorCode.FLAG_NOT_FOUND);
        assertThat(client.getStringValue("not a key at all", "fallback", unit("user-1"))).isEqualTo("fallback");
    }

    @Test
    void anIntegerAskedAsAStringIsATypeMismatchWithTheDefault() {
        FlagEvaluationDetails<String> details = client.getStringDetails("db.pool.size", "default", unit("user-1"));
        assertThat(details.getValue()).isEqualTo("default");
        assertThat(details.getErrorCode()).isEqualTo(ErrorCode.TYPE_MISMATCH);
        assertThat(client.getBooleanDetails("payments.provider", true, unit("user-1")).getErrorCode())
                .isEqualTo(ErrorCode.TYPE_MISMATCH);
    }

    @Test
    void aUnitOverTheLimitIsAnInvalidContextWithTheDefault() {
        FlagEvaluationDetails<Integer> details = client.getIntegerDetails("db.pool.size", 7, unit("u".repeat(257)));
        assertThat(details.getValue()).isEqualTo(7);
        assertThat(details.getErrorCode()).isEqualTo(ErrorCode.INVALID_CONTEXT);
    }

    @Test
    void anOperatorsChangeReachesTheSdkAtOnce() {
        String migrationKey = "feature.one_click";
        String unit = firstUnitOn(migrationKey, Variant.OLD, 50_000);
        assertThat(client.getBooleanValue(migrationKey, null, unit(unit))).isFalse();

        assertThat(sidecar.adminPost("/admin/v1/migrations/" + migrationKey + "/percent", "{\"percent\": 100}")
                .statusCode()).isEqualTo(200);
        FlagEvaluationDetails<Boolean> at100 = client.getBooleanDetails(migrationKey, null, unit(unit));
        assertThat(at100.getValue()).isTrue();
        assertThat(at100.getReason()).isEqualTo("STATIC");

        assertThat(sidecar.adminPost("/admin/v1/migrations/" + migrationKey + "/percent", "{\"percent\": 50}")
                .statusCode()).isEqualTo(200);
        assertThat(sidecar.adminPost("/admin/v1/migrations/" + migrationKey + "/pause", "{}").statusCode()).isEqualTo(200);
        FlagEvaluationDetails<Boolean> paused = client.getBooleanDetails(migrationKey, null, unit(unit));
        assertThat(paused.getValue()).isFalse();
        assertThat(paused.getReason()).isEqualTo("SPLIT");
        assertThat(paused.getFlagMetadata().getString("state")).isEqualTo("paused");
        assertSameAsReadApi(paused, read(migrationKey, unit));

        assertThat(sidecar.adminPost("/admin/v1/migrations/" + migrationKey + "/rollback", "{}").statusCode()).isEqualTo(200);
        FlagEvaluationDetails<Boolean> rolledBack = client.getBooleanDetails(migrationKey, null, unit(firstUnitOn(
                migrationKey, Variant.NEW, 50_000)));
        assertThat(rolledBack.getValue()).isFalse();
        assertThat(rolledBack.getReason()).isEqualTo("STATIC");
        assertThat(rolledBack.getFlagMetadata().getString("state")).isEqualTo("rolled_back");
    }

    static String firstUnitOn(String key, Variant variant, int percent) {
        for (int i = 0; ; i++) {
            if (Bucketing.variant(key, "user-" + i, percent) == variant) {
                return "user-" + i;
            }
        }
    }

    static String q(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }
}

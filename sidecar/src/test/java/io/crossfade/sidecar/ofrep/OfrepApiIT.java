package io.crossfade.sidecar.ofrep;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.testing.MetricsScrape;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * OFREP over raw HTTP against the real sidecar jar: the exact shapes of answers and errors, bulk
 * evaluation's entity tags, the change stream, the Unix socket, and no 5xx for any input.
 */
class OfrepApiIT {

    private static final String SINGLE = "/ofrep/v1/evaluate/flags/";
    private static final String BULK = "/ofrep/v1/evaluate/flags";

    @TempDir
    static Path settings;
    @TempDir
    static Path state;
    @TempDir
    static Path sockets;
    static SidecarProcess sidecar;

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
                migrations:
                  db.pool.size:
                    to: 20
                    percent: 50
                """);
        sidecar = SidecarProcess.start(settings, state, "--instance-id", "pod-1",
                "--listen-unix", sockets.resolve("read.sock").toString());
    }

    @AfterAll
    static void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    static HttpResponse<String> post(String path, String body) {
        return post(path, body, Map.of());
    }

    static HttpResponse<String> post(String path, String body, Map<String, String> headers) {
        return post(path, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    static HttpResponse<String> post(String path, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(sidecar.readUri().resolve(path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        return SidecarProcess.send(b.build());
    }

    static HttpResponse<String> method(String method, String path) {
        return SidecarProcess.send(HttpRequest.newBuilder(sidecar.readUri().resolve(path))
                .method(method, HttpRequest.BodyPublishers.ofString("{}")).build());
    }

    static String context(String unit) {
        return "{\"context\":{\"targetingKey\":\"" + unit + "\"}}";
    }

    /** Asserts an OFREP failure: status, JSON with exactly the given fields, the code, a sentence. */
    static JsonNode assertFailure(HttpResponse<String> r, int status, String code, String key) {
        assertThat(r.statusCode()).as("status, body %s", r.body()).isEqualTo(status);
        JsonNode body = json(r);
        if (key == null) {
            assertThat(body.properties()).extracting(Map.Entry::getKey).containsExactly("errorCode", "errorDetails");
        } else {
            assertThat(body.properties()).extracting(Map.Entry::getKey).containsExactly("key", "errorCode", "errorDetails");
            assertThat(body.path("key").asText()).isEqualTo(key);
        }
        assertThat(body.path("errorCode").asText()).isEqualTo(code);
        assertThat(body.path("errorDetails").asText()).isNotBlank();
        return body;
    }

    @Test
    void aSingleEvaluationAnswersExactlyOfrepsFields() {
        HttpResponse<String> r = post(SINGLE + "db.pool.size", context("user-42"));

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = json(r);
        JsonNode read = json(sidecar.get("/v1/settings/db.pool.size?unit=user-42"));
        assertThat(body.properties()).extracting(Map.Entry::getKey)
                .containsExactly("key", "value", "variant", "reason", "metadata");
        assertThat(body.path("key").asText()).isEqualTo("db.pool.size");
        assertThat(body.path("value")).isEqualTo(read.path("value"));
        assertThat(body.path("variant")).isEqualTo(read.path("variant"));
        assertThat(body.path("reason").asText()).isEqualTo("SPLIT");
        JsonNode metadata = body.path("metadata");
        assertThat(metadata.properties()).extracting(Map.Entry::getKey)
                .containsExactly("migrationId", "percent", "state", "version");
        metadata.forEach(v -> assertThat(v.isValueNode()).as("flat metadata: %s", metadata).isTrue());
        assertThat(metadata.path("migrationId")).isEqualTo(read.path("migration").path("id"));
        assertThat(metadata.path("percent")).isEqualTo(read.path("migration").path("percent"));
        assertThat(metadata.path("state").asText()).isEqualTo("running");
        assertThat(metadata.path("version")).isEqualTo(read.path("version"));

        JsonNode staticOne = json(post(SINGLE + "payments.provider", context("user-42")));
        assertThat(staticOne.path("variant").asText()).isEqualTo("static");
        assertThat(staticOne.path("reason").asText()).isEqualTo("STATIC");
        assertThat(staticOne.path("metadata").properties()).extracting(Map.Entry::getKey).containsExactly("version");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{}", "{\"context\":{}}", "{\"context\":{\"targetingKey\":\"\"}}", "  \n",
        "{\"other\":[1,{\"a\":2}],\"context\":{\"plan\":\"pro\",\"nested\":{\"targetingKey\":5}}}"})
    void aBodyWithoutATargetingKeyReadsAsTheInstance(String body) {
        HttpResponse<String> r = post(SINGLE + "db.pool.size", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).path("variant")).isEqualTo(json(sidecar.get("/v1/settings/db.pool.size")).path("variant"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"no.such.key", "Not-A-Valid-Key", "a%2Fb", "a/b", ""})
    void anUnknownKeyIsFlagNotFound(String key) {
        assertFailure(post(SINGLE + key, context("user-1")), 404, "FLAG_NOT_FOUND", key);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "not json", "{\"context\":{\"targetingKey\":\"u\"}", "[]", "\"text\"", "42", "null",
        "{} {}", "{}x", "{\"context\":{},\"context\":{}}", "{\"context\":{\"targetingKey\":\"a\",\"targetingKey\":\"b\"}}",
        "{\"context\": [}"})
    void malformedJsonIsAParseError(String body) {
        assertFailure(post(SINGLE + "db.pool.size", body), 400, "PARSE_ERROR", "db.pool.size");
        assertFailure(post(BULK, body), 400, "PARSE_ERROR", null);
    }

    @Test
    void bytesThatAreNotUtf8AreAParseError() {
        byte[] body = {'{', '"', 'c', '"', ':', (byte) 0xff, (byte) 0xfe, '}'};
        assertFailure(post(SINGLE + "db.pool.size", body, Map.of()), 400, "PARSE_ERROR", "db.pool.size");
    }

    @Test
    void aBodyNestedBeyondTheParsersDepthIsAParseError() {
        String deep = "{\"context\":{\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}}";
        assertFailure(post(SINGLE + "db.pool.size", deep), 400, "PARSE_ERROR", "db.pool.size");
        assertFailure(post(BULK, deep), 400, "PARSE_ERROR", null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"context\":\"user-1\"}", "{\"context\":[]}", "{\"context\":42}", "{\"context\":null}",
        "{\"context\":true}", "{\"context\":{\"targetingKey\":42}}", "{\"context\":{\"targetingKey\":null}}",
        "{\"context\":{\"targetingKey\":{\"id\":1}}}", "{\"context\":{\"targetingKey\":[\"a\"]}}",
        "{\"context\":{\"targetingKey\":true}}"})
    void aContextThatIsNotAnObjectOrANonStringTargetingKeyIsInvalid(String body) {
        assertFailure(post(SINGLE + "db.pool.size", body), 400, "INVALID_CONTEXT", "db.pool.size");
        assertFailure(post(BULK, body), 400, "INVALID_CONTEXT", null);
    }

    @Test
    void aUnitOverTheLimitIsAnInvalidContext() {
        assertThat(post(SINGLE + "db.pool.size", context("u".repeat(256))).statusCode()).isEqualTo(200);
        assertThat(post(SINGLE + "db.pool.size", context("€".repeat(85) + "a")).statusCode()).isEqualTo(200);
        assertFailure(post(SINGLE + "db.pool.size", context("u".repeat(257))), 400, "INVALID_CONTEXT", "db.pool.size");
        assertFailure(post(SINGLE + "db.pool.size", context("€".repeat(86))), 400, "INVALID_CONTEXT", "db.pool.size");
        assertFailure(post(BULK, context("u".repeat(257))), 400, "INVALID_CONTEXT", null);
    }

    @Test
    void aMalformedBodyIsAParseErrorEvenWhenItsContextIsAlsoWrong() {
        assertFailure(post(SINGLE + "db.pool.size", "{\"context\":[], "), 400, "PARSE_ERROR", "db.pool.size");
    }

    @Test
    void aBodyOverSixtyFourKibIsTooLarge() {
        String big = "{\"context\":{\"targetingKey\":\"u\",\"pad\":\"" + "x".repeat(64 * 1024) + "\"}}";
        assertThat(post(SINGLE + "db.pool.size", big).statusCode()).isEqualTo(413);
        assertThat(post(BULK, big).statusCode()).isEqualTo(413);
        // without a declared length: chunked
        HttpResponse<String> chunked = SidecarProcess.send(HttpRequest.newBuilder(sidecar.readUri().resolve(BULK))
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))).build());
        assertThat(chunked.statusCode()).isEqualTo(413);
        String justUnder = "{\"pad\":\"" + "x".repeat(64 * 1024 - 10) + "\"}";
        assertThat(justUnder.length()).isEqualTo(64 * 1024);
        assertThat(post(SINGLE + "db.pool.size", justUnder).statusCode()).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "PUT", "DELETE", "PATCH"})
    void evaluationIsPostOnly(String method) {
        for (String path : List.of(SINGLE + "db.pool.size", BULK)) {
            HttpResponse<String> r = method(method, path);
            assertThat(r.statusCode()).as("%s %s", method, path).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).hasValue("POST");
        }
        if (!method.equals("GET")) {
            assertThat(method(method, "/ofrep/v1/configuration").statusCode()).isEqualTo(405);
        }
    }

    @Test
    void bulkEvaluatesEverySettingAsSingleEvaluationDoes() {
        HttpResponse<String> r = post(BULK, context("user-7"));

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = json(r);
        assertThat(body.properties()).extracting(Map.Entry::getKey).containsExactly("flags", "metadata", "eventStreams");
        assertThat(body.path("flags")).extracting(f -> f.path("key").asText())
                .containsExactly("checkout.banner", "db.pool.size", "payments.provider");
        for (JsonNode flag : body.path("flags")) {
            assertThat(flag).isEqualTo(json(post(SINGLE + flag.path("key").asText(), context("user-7"))));
        }
        long version = json(sidecar.get("/v1/settings/db.pool.size")).path("version").asLong();
        assertThat(body.path("metadata").path("version").asLong()).isEqualTo(version);
        JsonNode stream = body.path("eventStreams").path(0);
        assertThat(stream.path("type").asText()).isEqualTo("sse");
        assertThat(stream.path("endpoint").path("requestUri").asText()).isEqualTo("/ofrep/v1/events");
        assertThat(stream.path("inactivityDelaySec").asInt()).isEqualTo(120);
        assertThat(r.headers().firstValue("ETag")).hasValueSatisfying(t -> assertThat(t).startsWith("\"" + version + "-"));
    }

    @Test
    void bulkAnswers304ToARepeatedRequestAndAFresh200AfterAContextOrPercentChange() {
        String body = "{\"context\":{\"targetingKey\":\"user-9\",\"plan\":\"pro\",\"region\":\"eu\"}}";
        HttpResponse<String> first = post(BULK, body);
        String etag = first.headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> again = post(BULK, body, Map.of("If-None-Match", etag));
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(again.headers().firstValue("ETag")).hasValue(etag);
        // the same context written differently is the same context; query metadata from an SSE trigger is ignored
        assertThat(post(BULK + "?flagConfigEtag=x&sseEtag=y",
                "{ \"context\" : { \"region\":\"eu\", \"plan\":\"pro\", \"targetingKey\":\"user-9\" } }",
                Map.of("If-None-Match", "W/" + etag)).statusCode()).isEqualTo(304);

        HttpResponse<String> otherPlan = post(BULK, body.replace("pro", "free"), Map.of("If-None-Match", etag));
        assertThat(otherPlan.statusCode()).isEqualTo(200);
        assertThat(otherPlan.headers().firstValue("ETag")).isPresent().get().isNotEqualTo(etag);
        assertThat(post(BULK, body.replace("user-9", "user-10"), Map.of("If-None-Match", etag)).statusCode())
                .isEqualTo(200);

        assertThat(sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 62.5}").statusCode())
                .isEqualTo(200);
        HttpResponse<String> afterChange = post(BULK, body, Map.of("If-None-Match", etag));
        assertThat(afterChange.statusCode()).isEqualTo(200);
        String newTag = afterChange.headers().firstValue("ETag").orElseThrow();
        assertThat(newTag).isNotEqualTo(etag);
        assertThat(json(afterChange).path("flags").path(1).path("metadata").path("percent").decimalValue())
                .isEqualByComparingTo("62.5");
        assertThat(post(BULK, body, Map.of("If-None-Match", newTag)).statusCode()).isEqualTo(304);
    }

    @Test
    void theChangeStreamTellsClientsToRefetchWhenTheSnapshotChanges() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        var response = java.net.http.HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(sidecar.readUri().resolve("/ofrep/v1/events")).build(),
                HttpResponse.BodyHandlers.ofLines()).get(30, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("text/event-stream"));
        Stream<String> stream = response.body();
        Thread reader = new Thread(() -> {
            try {
                stream.forEach(lines::add);
            } catch (RuntimeException closed) {
                // the test closed the stream
            }
        }, "ofrep-events");
        reader.setDaemon(true);
        reader.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> !lines.isEmpty());
            assertThat(sidecar.adminPost("/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 25}").statusCode())
                    .isEqualTo(200);
            long version = json(sidecar.get("/v1/settings/db.pool.size")).path("version").asLong();

            await().atMost(Duration.ofSeconds(30)).until(() -> lines.contains("id: " + version));
            String data = lines.get(lines.indexOf("id: " + version) + 1);
            assertThat(data).startsWith("data: ");
            JsonNode event = json(data.substring("data: ".length()));
            assertThat(event.path("type").asText()).isEqualTo("refetchEvaluation");
            assertThat(event.path("etag").asText()).isEqualTo("\"" + version + "\"");
        } finally {
            stream.close();
        }
    }

    @Test
    void aSingleEvaluationCountsAsAReadAndABulkEvaluationDoesNot() {
        double before = reads("payments.provider");
        assertThat(post(SINGLE + "payments.provider", context("user-1")).statusCode()).isEqualTo(200);
        assertThat(post(SINGLE + "payments.provider", context("user-2")).statusCode()).isEqualTo(200);
        assertThat(reads("payments.provider")).isEqualTo(before + 2);
        assertThat(post(BULK, context("user-3")).statusCode()).isEqualTo(200);
        assertThat(reads("payments.provider")).isEqualTo(before + 2);
    }

    static double reads(String key) {
        return MetricsScrape.parse(sidecar.getOps("/metrics").body())
                .value("crossfade_reads_total", "key", key, "variant", "static").orElse(0);
    }

    @Test
    void theConfigurationSaysWhatIsSupported() {
        HttpResponse<String> r = sidecar.get("/ofrep/v1/configuration");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = json(r);
        assertThat(body.path("name").asText()).isEqualTo("crossfade");
        assertThat(body.path("capabilities").path("flagEvaluation").path("supportedTypes"))
                .extracting(JsonNode::asText).containsExactlyInAnyOrder("boolean", "string", "int", "float", "object");
        assertThat(body.path("capabilities").path("cacheInvalidation").path("polling").path("enabled").asBoolean()).isTrue();
        String etag = r.headers().firstValue("ETag").orElseThrow();
        assertThat(SidecarProcess.send(HttpRequest.newBuilder(sidecar.readUri().resolve("/ofrep/v1/configuration"))
                .header("If-None-Match", etag).build()).statusCode()).isEqualTo(304);
    }

    @Test
    void theUnixSocketServesTheSameEvaluations() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1));
        try {
            HttpClient client = vertx.createHttpClient();
            SocketAddress socket = SocketAddress.domainSocketAddress(sockets.resolve("read.sock").toString());
            for (String path : List.of(SINGLE + "db.pool.size", BULK)) {
                String overSocket = client.request(new RequestOptions().setServer(socket).setHost("localhost")
                                .setMethod(HttpMethod.POST).setURI(path))
                        .compose(req -> req.send(context("user-3")))
                        .compose(res -> res.body())
                        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).toString();
                assertThat(json(overSocket)).isEqualTo(json(post(path, context("user-3"))));
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void noInputIsAnsweredWithA5xx() {
        Random random = new Random(20261201);
        String valid = "{\"context\":{\"targetingKey\":\"user-1\",\"plan\":\"pro\",\"n\":[1,2.5,{\"x\":null}]}}";
        String alphabet = "{}[]\":,\\ ntrufalse0123456789.-eE\u00e9\u20ac\ud83d\ude00targetingKeycontext";
        for (int i = 0; i < 300; i++) {
            byte[] body;
            switch (i % 4) {
                case 0 -> { // random bytes
                    body = new byte[random.nextInt(64)];
                    random.nextBytes(body);
                }
                case 1 -> // a valid body cut short
                    body = valid.substring(0, random.nextInt(valid.length())).getBytes(StandardCharsets.UTF_8);
                case 2 -> { // a valid body with one character changed
                    StringBuilder s = new StringBuilder(valid);
                    s.setCharAt(random.nextInt(s.length()), alphabet.charAt(random.nextInt(alphabet.length())));
                    body = s.toString().getBytes(StandardCharsets.UTF_8);
                }
                default -> { // random characters of JSON's alphabet
                    StringBuilder s = new StringBuilder();
                    int n = random.nextInt(80);
                    for (int j = 0; j < n; j++) {
                        s.append(alphabet.charAt(random.nextInt(alphabet.length())));
                    }
                    body = s.toString().getBytes(StandardCharsets.UTF_8);
                }
            }
            String path = i % 2 == 0 ? BULK : SINGLE + (i % 3 == 0 ? "db.pool.size" : "key-" + i);
            HttpResponse<String> r = post(path, body, Map.of());
            assertThat(r.statusCode()).as("%s with %s: %s", path, new String(body, StandardCharsets.UTF_8), r.body())
                    .isIn(200, 400, 404);
            if (r.statusCode() != 200) {
                assertThat(json(r).path("errorCode").asText()).isIn("PARSE_ERROR", "INVALID_CONTEXT", "FLAG_NOT_FOUND");
            }
        }
    }
}

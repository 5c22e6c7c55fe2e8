package io.crossfade.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The admin API against the real sidecar: each endpoint, the token, and every way a request can be
 * refused — each with its own status and sentence, and none of them changing anything or reaching
 * the audit log. One sidecar serves the class; tests that change a migration use their own key.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    static final String SETTINGS = """
            settings:
              db.pool.size: { value: 10, owner: team-data }
              search.model: { value: "bm25" }
              checkout.banner: { value: "old" }
              fees.rate: { value: 1.5 }
              ramp.me: { value: 1 }
              paging.key: { value: 0 }
              plain.setting: { value: true }
            migrations:
              db.pool.size:
                to: 20
                percent: 5
                owner: alice
                expected: p99 latency unchanged
                rollback: set percent to 0
                guard: { maxErrorRate: 0.1, maxRatio: 3, minSamples: 50, window: 30s, action: rollback }
              search.model: { to: "bert", percent: 10 }
              checkout.banner: { to: "new", percent: 0 }
              fees.rate: { to: 2.5, percent: 1 }
              paging.key: { to: 1, percent: 0 }
              ramp.me:
                to: 2
                steps: [ { percent: 1, hold: 5m }, { percent: 10, hold: 10m }, { percent: 100 } ]
            """;

    @TempDir
    static Path settingsDir;

    @TempDir
    static Path stateDir;

    private SidecarProcess sidecar;

    @BeforeAll
    void start() throws IOException {
        Files.writeString(settingsDir.resolve("settings.yaml"), SETTINGS);
        sidecar = SidecarProcess.start(settingsDir, stateDir);
    }

    @AfterAll
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> send(String method, String path, String authorization, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(sidecar.opsUri().resolve(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (method.equals("POST")) {
            b.header("Content-Type", "application/json"); // every POST must declare JSON (415 otherwise)
        }
        return SidecarProcess.send(b.build());
    }

    private HttpResponse<String> authorized(String method, String path, String body) {
        return send(method, path, "Bearer " + sidecar.adminToken(), body);
    }

    /** What a refused request must leave alone: the audit log's end, the state file, the snapshot. */
    private record Untouched(long lastSeq, byte[] stateFile, long version) {
    }

    private Untouched untouched() {
        try {
            long lastSeq = json(sidecar.adminGet("/admin/v1/events?limit=1")).get("lastSeq").asLong();
            long version = json(sidecar.adminGet("/admin/v1/migrations")).get("version").asLong();
            return new Untouched(lastSeq, Files.readAllBytes(stateDir.resolve("state.json")), version);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void assertUntouched(Untouched before) {
        Untouched now = untouched();
        assertThat(now.lastSeq()).as("audit log end").isEqualTo(before.lastSeq());
        assertThat(now.stateFile()).as("state file").isEqualTo(before.stateFile());
        assertThat(now.version()).as("snapshot version").isEqualTo(before.version());
    }

    private static void assertError(HttpResponse<String> r, int status, String code, String message) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).contains("application/json; charset=utf-8");
        JsonNode body = json(r);
        assertThat(body.get("error").asText()).isEqualTo(code);
        assertThat(body.get("message").asText()).contains(message);
    }

    // --- reading ---

    @Test
    void listShowsEveryMigrationWithSpecAndState() {
        HttpResponse<String> r = sidecar.adminGet("/admin/v1/migrations");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode doc = json(r);
        assertThat(doc.get("version").asLong()).isPositive();
        List<String> keys = new ArrayList<>();
        doc.get("migrations").forEach(m -> keys.add(m.get("key").asText()));
        assertThat(keys).containsExactly("checkout.banner", "db.pool.size", "fees.rate", "paging.key", "ramp.me",
                "search.model");
    }

    @Test
    void oneMigrationShowsSpecStateRevisionAsETagAndAnEmptyHealthHook() {
        HttpResponse<String> r = sidecar.adminGet("/admin/v1/migrations/db.pool.size");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode m = json(r);
        assertThat(m.get("key").asText()).isEqualTo("db.pool.size");
        assertThat(m.get("id").asText()).hasSize(16);
        assertThat(r.headers().firstValue("etag")).contains("\"" + m.get("revision").asLong() + "\"");

        JsonNode spec = m.get("spec");
        assertThat(spec.get("from").asInt()).isEqualTo(10);
        assertThat(spec.get("to").asInt()).isEqualTo(20);
        assertThat(spec.get("salt").asText()).isEqualTo("db.pool.size");
        assertThat(spec.get("initialPercent").asInt()).isEqualTo(5);
        assertThat(spec.get("owner").asText()).isEqualTo("alice");
        assertThat(spec.get("expected").asText()).isEqualTo("p99 latency unchanged");
        assertThat(spec.get("rollback").asText()).isEqualTo("set percent to 0");
        assertThat(spec.get("guard").toString()).isEqualTo(
                "{\"maxErrorRate\":0.1,\"maxRatio\":3.0,\"minSamples\":50,\"window\":\"30s\",\"confidence\":0.99,\"action\":\"rollback\"}");
        assertThat(spec.get("steps")).isEmpty();
        assertThat(spec.get("source").asText()).isEqualTo("settings.yaml");

        JsonNode state = m.get("state");
        assertThat(state.get("percent").asInt()).isEqualTo(5);
        assertThat(state.get("state").asText()).isEqualTo("running");
        assertThat(state.get("revision").asLong()).isEqualTo(m.get("revision").asLong());
        assertThat(state.get("manual").asBoolean()).isFalse();
        assertThat(state.get("ramp").isNull()).isTrue();
        assertThat(state.get("reason").asText()).isEqualTo("declared in settings.yaml at 5 %");
        assertThat(state.get("createdAt").asText()).isNotEmpty();
        assertThat(state.get("updatedAt").asText()).isNotEmpty();
        // the guard's view of the window: nothing reported yet
        assertThat(m.at("/health/guard/window").asText()).isEqualTo("30s");
        assertThat(m.at("/health/guard/outcomes/new/ok").asLong()).isZero();
        assertThat(m.at("/health/guard/outcomes/new/errorRate").isNull()).isTrue();
    }

    @Test
    void aRampedMigrationShowsItsStepsAndWhereItIs() {
        JsonNode m = json(sidecar.adminGet("/admin/v1/migrations/ramp.me"));
        assertThat(m.at("/spec/steps").toString())
                .isEqualTo("[{\"percent\":1,\"hold\":\"5m\"},{\"percent\":10,\"hold\":\"10m\"},{\"percent\":100,\"hold\":null}]");
        assertThat(m.at("/state/ramp/step").asInt()).isEqualTo(1);
        assertThat(m.at("/state/ramp/of").asInt()).isEqualTo(3);
        assertThat(m.at("/state/ramp/holding").asBoolean()).isTrue();
        assertThat(m.at("/state/percent").asInt()).isEqualTo(1);
    }

    // --- the token ---

    static Stream<Arguments> everyEndpoint() {
        return Stream.of(
                Arguments.of("GET", "/admin/v1/migrations", null),
                Arguments.of("GET", "/admin/v1/migrations/db.pool.size", null),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 50}"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/pause", "{}"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/resume", "{}"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/rollback", "{}"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/complete", "{}"),
                Arguments.of("GET", "/admin/v1/events", null),
                Arguments.of("GET", "/admin/v1/nothing-here", null),
                Arguments.of("DELETE", "/admin", null));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyEndpoint")
    void everyAdminCallWithoutTheRightBearerTokenIs401AndChangesNothing(String method, String path, String body) {
        Untouched before = untouched();
        String token = sidecar.adminToken();

        HttpResponse<String> missing = send(method, path, null, body);
        assertError(missing, 401, "unauthorized", "needs an Authorization: Bearer <token> header");
        assertThat(missing.headers().firstValue("www-authenticate")).contains("Bearer realm=\"crossfade admin\"");
        assertError(send(method, path, "Bearer " + token + "x", body), 401, "unauthorized",
                "the bearer token is not valid for this sidecar");
        assertError(send(method, path, "Bearer " + token.substring(1), body), 401, "unauthorized", "not valid");
        assertError(send(method, path, "Basic " + token, body), 401, "unauthorized",
                "takes Authorization: Bearer <token>, not 'Basic'");
        assertError(send(method, path, token, body), 401, "unauthorized", "takes Authorization: Bearer <token>");

        assertUntouched(before);
        assertThat(String.join("\n", sidecar.output())).doesNotContain(token);
    }

    @Test
    void theBearerSchemeIsCaseInsensitive() {
        assertThat(send("GET", "/admin/v1/migrations", "bearer " + sidecar.adminToken(), null).statusCode())
                .isEqualTo(200);
    }

    // --- refusals: 404, 405, 400, 413, 409, 412 ---

    static Stream<Arguments> refusedRequests() {
        String big = "{\"percent\": 5, \"reason\": \"" + "x".repeat(70 * 1024) + "\"}";
        return Stream.of(
                // unknown things
                Arguments.of("GET", "/admin/v1/migrations/no.such.key", null, null, 404, "not_found", "no setting named no.such.key"),
                Arguments.of("POST", "/admin/v1/migrations/no.such.key/percent", "{\"percent\": 5}", null, 404, "not_found",
                        "no setting named no.such.key"),
                Arguments.of("GET", "/admin/v1/migrations/plain.setting", null, null, 404, "not_found",
                        "setting plain.setting has no migration"),
                Arguments.of("POST", "/admin/v1/migrations/plain.setting/pause", null, null, 404, "not_found",
                        "setting plain.setting has no migration"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/frobnicate", "{}", null, 404, "not_found",
                        "nothing at /admin/v1/migrations/db.pool.size/frobnicate"),
                Arguments.of("GET", "/admin/v2/migrations", null, null, 404, "not_found", "the admin API has GET"),
                Arguments.of("GET", "/admin/v1/migrations/Bad%20Key", null, null, 400, "bad_request", "invalid key"),
                // wrong methods
                Arguments.of("POST", "/admin/v1/migrations", "{}", null, 405, "method_not_allowed", "use GET, HEAD"),
                Arguments.of("DELETE", "/admin/v1/migrations/db.pool.size", null, null, 405, "method_not_allowed", "use GET, HEAD"),
                Arguments.of("GET", "/admin/v1/migrations/db.pool.size/percent", null, null, 405, "method_not_allowed", "use POST"),
                Arguments.of("PUT", "/admin/v1/migrations/db.pool.size/pause", "{}", null, 405, "method_not_allowed", "use POST"),
                Arguments.of("POST", "/admin/v1/events", "{}", null, 405, "method_not_allowed", "use GET, HEAD"),
                // bad percents
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 101}", null, 400, "bad_request",
                        "percent must be between 0 and 100, got 101"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/percent", "{\"percent\": -0.5}", null, 400, "bad_request",
                        "percent must be between 0 and 100, got -0.5"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/percent", "{\"percent\": \"fifty\"}", null, 400,
                        "bad_request", "percent must be a JSON number from 0 to 100, got a string"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/percent", "{\"percent\": NaN}", null, 400, "bad_request",
                        "percent must be a number from 0 to 100, got NaN"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 12.3456}", null, 400,
                        "bad_request", "percent has at most three decimals (0.001 % steps), got 12.3456"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/percent", "{\"reason\": \"no percent\"}", null, 400,
                        "bad_request", "percent is missing"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/percent", "", null, 400, "bad_request",
                        "the body is empty"),
                // bad JSON and shapes
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 5", null, 400, "bad_request",
                        "the body is not valid JSON"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/pause", "not json", null, 400, "bad_request",
                        "the body is not valid JSON"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/pause", "[\"why\"]", null, 400, "bad_request",
                        "the body must be a JSON object"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/pause", "{\"reason\": 42}", null, 400, "bad_request",
                        "reason must be a string"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/rollback", "{\"percent\": 0}", null, 400, "bad_request",
                        "unknown field 'percent'"),
                Arguments.of("POST", "/admin/v1/migrations/BAD/pause", "{}", null, 400, "bad_request", "invalid key 'BAD'"),
                // too big
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/percent", big, null, 413, "payload_too_large",
                        "over the 64 KiB limit"),
                // If-Match that is not a revision
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/pause", "{}", "W/\"abc\"", 400, "bad_request",
                        "If-Match must be one revision"),
                // events paging parameters
                Arguments.of("GET", "/admin/v1/events?since=-1", null, null, 400, "bad_request", "since must be from 0"),
                Arguments.of("GET", "/admin/v1/events?since=abc", null, null, 400, "bad_request", "since must be a whole number"),
                Arguments.of("GET", "/admin/v1/events?limit=0", null, null, 400, "bad_request", "limit must be from 1 to 1000"),
                Arguments.of("GET", "/admin/v1/events?limit=5000", null, null, 400, "bad_request", "limit must be from 1 to 1000"),
                Arguments.of("GET", "/admin/v1/events?key=Not%20A%20Key", null, null, 400, "bad_request", "invalid key"),
                // transitions the state machine refuses
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/complete", "{\"reason\": \"done?\"}", null, 409, "conflict",
                        "db.pool.size is at 5 %; complete needs 100 % (set 100 first)"),
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/resume", "{}", null, 409, "conflict",
                        "db.pool.size is already running"),
                // a stale revision
                Arguments.of("POST", "/admin/v1/migrations/db.pool.size/percent", "{\"percent\": 50}", "\"999999\"", 412,
                        "precondition_failed", "migration db.pool.size is at revision"));
    }

    @ParameterizedTest(name = "{0} {1} {2} If-Match {3} -> {4}")
    @MethodSource("refusedRequests")
    void refusedRequestsGetTheirOwnErrorAndChangeNothing(String method, String path, String body, String ifMatch,
            int status, String code, String message) {
        Untouched before = untouched();
        HttpRequest.Builder b = HttpRequest.newBuilder(sidecar.opsUri().resolve(path))
                .header("Authorization", "Bearer " + sidecar.adminToken()).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (ifMatch != null) {
            b.header("If-Match", ifMatch);
        }
        assertError(SidecarProcess.send(b.build()), status, code, message);
        assertUntouched(before);
    }

    @Test
    void aHugeBodyWithoutContentLengthIsCutOffAt64KiB() {
        Untouched before = untouched();
        byte[] huge = ("{\"percent\": 5, \"reason\": \"" + "y".repeat(200 * 1024) + "\"}").getBytes();
        HttpRequest request = HttpRequest.newBuilder(sidecar.opsUri().resolve("/admin/v1/migrations/db.pool.size/percent"))
                .header("Authorization", "Bearer " + sidecar.adminToken()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(huge))).build();
        HttpResponse<String> r;
        try {
            r = SidecarProcess.send(request);
        } catch (UncheckedIOException e) {
            // The sidecar may close the connection before the client finished sending: refused all the same.
            assertUntouched(before);
            return;
        }
        assertError(r, 413, "payload_too_large", "over the 64 KiB limit");
        assertUntouched(before);
    }

    // --- changes ---

    @Test
    void aChangeAnswersWithTheNewViewAndIsServedAndCountedAtOnce() {
        HttpResponse<String> r = sidecar.adminPost("/admin/v1/migrations/search.model/percent",
                "{\"percent\": 100, \"reason\": \"all in\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode view = json(r);
        long revision = view.get("revision").asLong();
        assertThat(r.headers().firstValue("etag")).contains("\"" + revision + "\"");
        assertThat(view.at("/state/percent").asInt()).isEqualTo(100);
        assertThat(view.at("/state/reason").asText()).isEqualTo("all in");
        assertThat(view.at("/spec/to").asText()).isEqualTo("bert");

        // No waiting: the answer came after the new snapshot was published.
        JsonNode read = json(sidecar.get("/v1/settings/search.model?unit=anyone"));
        assertThat(read.get("value").asText()).isEqualTo("bert");
        assertThat(read.at("/migration/percent").asInt()).isEqualTo(100);
        String metrics = sidecar.getOps("/metrics").body();
        assertThat(metrics).contains("crossfade_rollout_percent{key=\"search.model\"} 100.0");
        assertThat(metrics).contains("crossfade_rollout_state{key=\"search.model\",state=\"running\"} 1.0");

        HttpResponse<String> done = sidecar.adminPost("/admin/v1/migrations/search.model/complete", "{\"reason\":\"ok\"}");
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(json(done).at("/state/state").asText()).isEqualTo("completed");
        assertThat(sidecar.getOps("/metrics").body())
                .contains("crossfade_rollout_state{key=\"search.model\",state=\"completed\"} 1.0")
                .contains("crossfade_rollout_state{key=\"search.model\",state=\"running\"} 0.0");
        assertThat(json(sidecar.adminGet("/admin/v1/migrations/search.model")).at("/state/state").asText())
                .isEqualTo("completed");
    }

    @Test
    void pauseResumeAndRollbackEachChangeTheStateAndTheRevision() {
        long rev0 = json(sidecar.adminGet("/admin/v1/migrations/checkout.banner")).get("revision").asLong();
        JsonNode paused = json(sidecar.adminPost("/admin/v1/migrations/checkout.banner/pause", "{\"reason\":\"lunch\"}"));
        assertThat(paused.at("/state/state").asText()).isEqualTo("paused");
        assertThat(paused.get("revision").asLong()).isGreaterThan(rev0);
        HttpResponse<String> again = sidecar.adminPost("/admin/v1/migrations/checkout.banner/pause", "{}");
        assertError(again, 409, "conflict", "only a running migration can be paused");
        JsonNode resumed = json(sidecar.adminPost("/admin/v1/migrations/checkout.banner/resume", ""));
        assertThat(resumed.at("/state/state").asText()).isEqualTo("running");
        JsonNode rolledBack = json(sidecar.adminPost("/admin/v1/migrations/checkout.banner/rollback", "{}"));
        assertThat(rolledBack.at("/state/state").asText()).isEqualTo("rolled_back");
        assertThat(rolledBack.at("/state/percent").asInt()).isZero();
        assertError(sidecar.adminPost("/admin/v1/migrations/checkout.banner/rollback", "{}"), 409, "conflict",
                "already rolled back");
    }

    @Test
    void ifMatchMakesAChangeConditionalOnTheRevisionSeen() {
        HttpResponse<String> seen = sidecar.adminGet("/admin/v1/migrations/fees.rate");
        String etag = seen.headers().firstValue("etag").orElseThrow();

        HttpResponse<String> first = SidecarProcess.send(HttpRequest.newBuilder(
                sidecar.opsUri().resolve("/admin/v1/migrations/fees.rate/percent"))
                .header("Authorization", "Bearer " + sidecar.adminToken()).header("If-Match", etag)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"percent\": 2}")).build());
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);

        Untouched before = untouched();
        HttpResponse<String> second = SidecarProcess.send(HttpRequest.newBuilder(
                sidecar.opsUri().resolve("/admin/v1/migrations/fees.rate/percent"))
                .header("Authorization", "Bearer " + sidecar.adminToken()).header("If-Match", etag)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"percent\": 3}")).build());
        assertError(second, 412, "precondition_failed", "someone changed it since you looked");
        assertUntouched(before);

        String bare = first.headers().firstValue("etag").orElseThrow().replace("\"", "");
        HttpResponse<String> third = SidecarProcess.send(HttpRequest.newBuilder(
                sidecar.opsUri().resolve("/admin/v1/migrations/fees.rate/percent"))
                .header("Authorization", "Bearer " + sidecar.adminToken()).header("If-Match", bare)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"percent\": 3.125}")).build());
        assertThat(third.statusCode()).as(third.body()).isEqualTo(200);
        assertThat(json(third).at("/state/percent").decimalValue()).isEqualByComparingTo("3.125");
    }

    // --- events ---

    @Test
    void eventsPageBySinceKeyAndLimitAndShowOnlyPublicFields() {
        for (int p = 1; p <= 5; p++) {
            assertThat(sidecar.adminPost("/admin/v1/migrations/paging.key/percent",
                    "{\"percent\": " + p + ", \"reason\": \"step " + p + "\"}").statusCode()).isEqualTo(200);
        }
        List<JsonNode> seen = new ArrayList<>();
        long since = 0;
        boolean more = true;
        int pages = 0;
        while (more) {
            JsonNode page = json(sidecar.adminGet("/admin/v1/events?key=paging.key&limit=2&since=" + since));
            page.get("events").forEach(seen::add);
            more = page.get("more").asBoolean();
            since = page.get("next").asLong();
            pages++;
        }
        assertThat(pages).isEqualTo(3);
        assertThat(seen).extracting(e -> e.get("action").asText())
                .containsExactly("created", "set_percent", "set_percent", "set_percent", "set_percent", "set_percent");
        assertThat(seen).extracting(e -> e.get("seq").asLong()).isSorted().doesNotHaveDuplicates();
        JsonNode last = seen.get(seen.size() - 1);
        List<String> fields = new ArrayList<>();
        last.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("seq", "time", "actor", "key", "migration", "action", "from", "to", "reason");
        assertThat(last.get("actor").asText()).isEqualTo("admin");
        assertThat(last.get("from").toString()).isEqualTo("{\"percent\":4,\"state\":\"running\"}");
        assertThat(last.get("to").toString()).isEqualTo("{\"percent\":5,\"state\":\"running\"}");
        assertThat(last.get("reason").asText()).isEqualTo("step 5");
        assertThat(seen.get(0).get("actor").asText()).isEqualTo("reload");
        assertThat(seen.get(0).get("from").isNull()).isTrue();

        JsonNode all = json(sidecar.adminGet("/admin/v1/events?since=" + last.get("seq").asLong()));
        assertThat(all.get("next").asLong()).isGreaterThanOrEqualTo(last.get("seq").asLong());
        assertThat(all.get("lastSeq").asLong()).isGreaterThanOrEqualTo(last.get("seq").asLong());
    }
}

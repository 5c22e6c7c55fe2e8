package io.crossfade.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The route table behind a real listener: which route answers, what it is given, and 404 and 405. */
class RoutesTest {

    private static Vertx vertx;
    private static URI base;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        Endpoints echo = routes -> routes
                .get("/items", (request, params) -> request.response().end("list"))
                .get("/items/{id}", (request, params) -> request.response().end("show " + params.get("id")))
                .post("/items/{id}/rename", (request, params) -> request.response().end("rename " + params.get("id")))
                .get("/files/*", (request, params) -> request.response().end("file " + params.get("*")));
        Endpoints guarded = routes -> {
            Routes inner = new Routes().get("/locked/in", (request, params) -> request.response().end("in"));
            Routes.Handler check = (request, params) -> {
                if (request.getHeader("X-Key") == null) {
                    request.response().setStatusCode(401).end();
                } else if (!inner.handle(request)) {
                    request.response().setStatusCode(404).end("locked 404");
                }
            };
            routes.add(Routes.ANY, "/locked/*", check);
        };
        HttpListener listener = new HttpListener(SocketAddress.inetSocketAddress(0, "127.0.0.1"),
                HttpListener.defaultOptions(), new Dispatcher(List.of(echo, guarded)));
        vertx.deployVerticle(listener).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        base = URI.create("http://127.0.0.1:" + listener.actualPort());
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> call(String method, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anExactPathGoesToItsRoute() throws Exception {
        assertThat(call("GET", "/items").body()).isEqualTo("list");
    }

    @Test
    void aNamedSegmentIsHandedToTheHandler() throws Exception {
        assertThat(call("GET", "/items/db.pool.size").body()).isEqualTo("show db.pool.size");
        assertThat(call("POST", "/items/a/rename").body()).isEqualTo("rename a");
    }

    @Test
    void aNamedSegmentMayBeEmptySoTheHandlerCanSayWhyItIsInvalid() throws Exception {
        assertThat(call("POST", "/items//rename").body()).isEqualTo("rename ");
    }

    @Test
    void aTrailingStarTakesTheRestOfThePathSlashesIncluded() throws Exception {
        assertThat(call("GET", "/files/a/b/c").body()).isEqualTo("file a/b/c");
        assertThat(call("GET", "/files/").body()).isEqualTo("file ");
    }

    @Test
    void aPathNoRouteMatchesIsNotFound() throws Exception {
        HttpResponse<String> r = call("GET", "/items/a/b");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("\"error\":\"not_found\"");
        assertThat(call("GET", "/itemsx").statusCode()).isEqualTo(404);
        assertThat(call("GET", "/files").statusCode()).isEqualTo(404);
    }

    @Test
    void aMethodTheRouteDoesNotTakeIs405WithAllow() throws Exception {
        HttpResponse<String> r = call("DELETE", "/items/a");
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
        assertThat(r.body()).contains("method_not_allowed").contains("use GET, HEAD");
        assertThat(call("GET", "/items/a/rename").headers().firstValue("Allow")).hasValue("POST");
    }

    @Test
    void headIsAnsweredByGetRoutes() throws Exception {
        assertThat(call("HEAD", "/items").statusCode()).isEqualTo(200);
    }

    @Test
    void aNestedTableRunsBehindItsCheckAndAnswersItsOwn404() throws Exception {
        assertThat(call("GET", "/locked/in").statusCode()).isEqualTo(401);
        assertThat(call("POST", "/locked/in").statusCode()).isEqualTo(401);
        assertThat(call("GET", "/locked/in", "X-Key", "k").body()).isEqualTo("in");
        assertThat(call("POST", "/locked/in", "X-Key", "k").statusCode()).isEqualTo(405);
        HttpResponse<String> missing = call("GET", "/locked/out", "X-Key", "k");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).isEqualTo("locked 404");
    }
}

package io.crossfade.sidecar.http;

import static io.crossfade.sidecar.testing.ApiAnswers.assertError;
import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.sidecar.testing.RawHttp;
import io.crossfade.sidecar.testing.RunningSidecar;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whatever a client sends, the sidecar answers with a 4xx in the contract's error shape (or at
 * worst closes the connection), never a 500, and keeps serving.
 */
class BadInputIT {

    private static final String LONG_KEY = "k".repeat(200);

    @RegisterExtension
    static final RunningSidecar sidecar = RunningSidecar.withFile("app.yaml", """
                settings:
                  app.limit:
                    value: 5
                  %s:
                    value: long
                """.formatted(LONG_KEY));

    @AfterAll
    static void neverFailedUnhandled() {
        assertThat(sidecar.output()).noneMatch(line -> line.contains("unhandled failure"));
    }

    static HttpResponse<String> read(String pathAndQuery) {
        return sidecar.get(pathAndQuery);
    }

    /** A GET sent verbatim, for targets java.net.URI refuses (broken percent-escapes). */
    static RawHttp.Answer rawGet(String target) {
        return RawHttp.exchange(sidecar.readUri(), "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Connection: close\r\n\r\n", 30_000);
    }

    /** Asserts the error shape on a raw answer; returns the message. */
    static String assertRawError(RawHttp.Answer answer, int status, String code) {
        assertThat(answer.status()).as("answer %s", answer.raw()).isEqualTo(status);
        assertThat(answer.headers().get("content-type")).isEqualTo("application/json; charset=utf-8");
        var body = json(answer.body());
        assertThat(body.path("error").asText()).isEqualTo(code);
        assertThat(body.path("message").asText()).isNotBlank();
        return body.path("message").asText();
    }

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void anUnknownKeyIs404NamingTheKey() {
        assertThat(assertError(read("/v1/settings/no.such.key"), 404, "not_found")).contains("no.such.key");
        assertError(read("/v1/settings/no.such.key/value"), 404, "not_found");
        assertError(read("/v1/settings/" + "z".repeat(200)), 404, "not_found");
    }

    @Test
    void aKeyOfTheFullLengthIsServed() {
        assertThat(read("/v1/settings/" + LONG_KEY + "/value").body()).isEqualTo("\"long\"");
    }

    static List<String> invalidKeys() {
        return List.of("App.limit", "APP", "a".repeat(201), "-lead", ".lead", "_lead", "a%20b", "a%2Fb", "a/b",
                "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..", "caf%C3%A9", "a%00b", "%ff%fe", "a;b", "a:b", "a@b", "a~b",
                "a+b", "app%2Elimit", "%", "%zz", "a%");
    }

    @ParameterizedTest
    @MethodSource("invalidKeys")
    void anInvalidKeyIs400NamingTheRule(String key) {
        assertThat(assertRawError(rawGet("/v1/settings/" + key), 400, "bad_request")).contains("invalid key");
        assertRawError(rawGet("/v1/settings/" + key + "/value"), 400, "bad_request");
    }

    @Test
    void aUnitOfUpTo256BytesIsAcceptedAndLongerIs400CountingBytesNotCharacters() {
        // [unit, accepted]: ASCII, 2-byte, 3-byte and 4-byte UTF-8 characters on both sides of 256 bytes
        Object[][] cases = {
                {"u".repeat(256), true}, {"u".repeat(257), false},
                {"é".repeat(128), true}, {"é".repeat(129), false},
                {"€".repeat(85) + "u", true}, {"€".repeat(86), false},
                {"😀".repeat(64), true}, {"😀".repeat(64) + "u", false},
        };
        for (Object[] c : cases) {
            String unit = (String) c[0];
            boolean accepted = (Boolean) c[1];
            int bytes = unit.getBytes(StandardCharsets.UTF_8).length;
            String utf8AsLatin1 = new String(unit.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
            List<HttpResponse<String>> answers = List.of(
                    read("/v1/settings/app.limit?unit=" + q(unit)),
                    read("/v1/settings/app.limit/value?unit=" + q(unit)),
                    read("/v1/settings?prefix=app.&unit=" + q(unit)),
                    SidecarProcess.send(HttpRequest.newBuilder(sidecar.readUri().resolve("/v1/settings/app.limit"))
                            .header("X-Crossfade-Unit", utf8AsLatin1).build()));
            for (HttpResponse<String> r : answers) {
                if (accepted) {
                    assertThat(r.statusCode()).as("%d-byte unit on %s", bytes, r.uri()).isEqualTo(200);
                } else {
                    assertThat(assertError(r, 400, "bad_request")).as("%d-byte unit", bytes).contains("256 bytes");
                }
            }
        }
    }

    @Test
    void aQueryThatCannotBeDecodedIs400() {
        for (String query : List.of("unit=%", "unit=%zz", "prefix=%4", "unit=a&prefix=%g0", "%=x")) {
            assertThat(assertRawError(rawGet("/v1/settings/app.limit?" + query), 400, "bad_request"))
                    .contains("query string");
            assertRawError(rawGet("/v1/settings/app.limit/value?" + query), 400, "bad_request");
            assertRawError(rawGet("/v1/settings?" + query), 400, "bad_request");
        }
    }

    @Test
    void aWrongMethodIs405WithAllow() {
        record Case(URI base, String path, String allow) {
        }
        List<Case> cases = List.of(
                new Case(sidecar.readUri(), "/v1/settings/app.limit", "GET, HEAD"),
                new Case(sidecar.readUri(), "/v1/settings/app.limit/value", "GET, HEAD"),
                new Case(sidecar.readUri(), "/v1/settings?prefix=app", "GET, HEAD"),
                new Case(sidecar.readUri(), "/health", "GET, HEAD"),
                new Case(sidecar.readUri(), "/ready", "GET, HEAD"),
                new Case(sidecar.opsUri(), "/health", "GET, HEAD"),
                new Case(sidecar.opsUri(), "/ready", "GET, HEAD"),
                new Case(sidecar.opsUri(), "/metrics", "GET"));
        for (Case c : cases) {
            for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
                HttpResponse<String> r = SidecarProcess.send(HttpRequest.newBuilder(c.base().resolve(c.path()))
                        .method(method, BodyPublishers.ofString("{}")).build());
                assertThat(assertError(r, 405, "method_not_allowed")).as("%s %s", method, c.path()).contains(method);
                assertThat(r.headers().firstValue("Allow")).as("%s %s", method, c.path()).hasValue(c.allow());
            }
        }
    }

    @Test
    void anUnknownPathIs404OnBothListeners() {
        for (String path : List.of("/", "/v2/settings/app.limit", "/v1/settingsx", "/v1", "/metrics", "/admin",
                "/v1/settings/app.limit/value/extra-is-a-key")) {
            HttpResponse<String> r = read(path);
            if (path.endsWith("extra-is-a-key")) {
                assertError(r, 400, "bad_request"); // "app.limit/value/extra-is-a-key" is not a valid key
            } else {
                assertError(r, 404, "not_found");
            }
        }
        for (String path : List.of("/v1/settings/app.limit", "/v1/settings", "/nope", "/console/nope.js")) {
            assertError(sidecar.getOps(path), 404, "not_found");
        }
        // the ops listener's root is the console's door
        assertThat(sidecar.getOps("/").statusCode()).isEqualTo(302);
    }

    /** Over HTTP/1.1 (declared and chunked bodies) and HTTP/2 (declared and unframed bodies). */
    @ParameterizedTest
    @EnumSource(HttpClient.Version.class)
    void aBodyOver64KiBIs413WhetherDeclaredOrStreamed(HttpClient.Version version) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(version).build();
        byte[] tooLarge = new byte[64 * 1024 + 1];
        byte[] limit = new byte[64 * 1024];
        record Case(URI base, String method, String path) {
        }
        List<Case> cases = List.of(
                new Case(sidecar.readUri(), "GET", "/v1/settings/app.limit"),
                new Case(sidecar.readUri(), "GET", "/v1/settings/app.limit/value"),
                new Case(sidecar.readUri(), "GET", "/v1/settings?prefix=app"),
                new Case(sidecar.readUri(), "POST", "/v1/settings/app.limit"),
                new Case(sidecar.readUri(), "POST", "/nope"),
                new Case(sidecar.readUri(), "GET", "/ready"),
                new Case(sidecar.opsUri(), "POST", "/metrics"),
                new Case(sidecar.opsUri(), "GET", "/health"));
        for (Case c : cases) {
            HttpRequest declared = HttpRequest.newBuilder(c.base().resolve(c.path()))
                    .method(c.method(), BodyPublishers.ofByteArray(tooLarge)).build();
            assertError(client.send(declared, HttpResponse.BodyHandlers.ofString()), 413, "payload_too_large");
        }
        for (Case c : cases.stream().filter(c -> c.method().equals("GET")).toList()) {
            // no Content-Length: chunked over HTTP/1.1, plain DATA frames over HTTP/2
            HttpRequest streamed = HttpRequest.newBuilder(c.base().resolve(c.path()))
                    .method("GET", BodyPublishers.fromPublisher(BodyPublishers.ofByteArray(tooLarge))).build();
            assertError(client.send(streamed, HttpResponse.BodyHandlers.ofString()), 413, "payload_too_large");

            HttpRequest streamedAtLimit = HttpRequest.newBuilder(c.base().resolve(c.path()))
                    .method("GET", BodyPublishers.fromPublisher(BodyPublishers.ofByteArray(limit))).build();
            assertThat(client.send(streamedAtLimit, HttpResponse.BodyHandlers.ofString()).statusCode())
                    .as("streamed 64 KiB on %s", c.path()).isEqualTo(200);
            HttpRequest declaredAtLimit = HttpRequest.newBuilder(c.base().resolve(c.path()))
                    .method("GET", BodyPublishers.ofByteArray(limit)).build();
            assertThat(client.send(declaredAtLimit, HttpResponse.BodyHandlers.ofString()).statusCode())
                    .as("declared 64 KiB on %s", c.path()).isEqualTo(200);
        }
        assertThat(read("/v1/settings/app.limit/value").body()).isEqualTo("5");
    }

    @Test
    void requestsTheDecoderRejectsGetTheErrorShapeToo() {
        RawHttp.Answer longLine = RawHttp.exchange(sidecar.readUri(),
                "GET /v1/settings/" + "a".repeat(9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 30_000);
        assertThat(longLine.status()).isEqualTo(414);
        assertThat(json(longLine.body()).path("error").asText()).isEqualTo("bad_request");

        RawHttp.Answer hugeHeaders = RawHttp.exchange(sidecar.readUri(),
                "GET /health HTTP/1.1\r\nHost: x\r\nX-Junk: " + "j".repeat(20_000) + "\r\n\r\n", 30_000);
        assertThat(hugeHeaders.status()).isEqualTo(431);
        assertThat(json(hugeHeaders.body()).path("error").asText()).isEqualTo("bad_request");

        RawHttp.Answer garbage = RawHttp.exchange(sidecar.readUri(), "GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 30_000);
        assertThat(garbage.status()).isEqualTo(400);
        assertThat(json(garbage.body()).path("error").asText()).isEqualTo("bad_request");
    }

    /**
     * A few hundred hostile requests from a fixed seed: odd methods, paths with encoded and raw junk,
     * broken queries, lying lengths, raw non-ASCII header bytes. Every answer is a 4xx in the error
     * shape (or the connection closes), and the sidecar keeps serving. The one 5xx allowed is the
     * 501 Vert.x's HTTP/1 layer answers, before any handler runs, to a protocol version other than
     * HTTP/1.0 and 1.1 in the request line.
     */
    @Test
    void hostileRequestsNeverGet500AndTheSidecarStaysUp() {
        Random random = new Random(20260101L);
        String[] methods = {"GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "get",
                "FOO", "G\u00e9T"};
        String[] paths = {"/v1/settings/app.limit", "/v1/settings/app.limit/value", "/v1/settings", "/v1/settings/",
                "/health", "/ready", "/metrics", "/", "", "*", "/v1/settings//value", "/v1/settings/app.limit/value/value",
                "http://evil.example/v1/settings/app.limit", "/v1/../v1/settings/app.limit", "//v1/settings/app.limit"};
        String[] junk = {"%", "%2", "%zz", "%00", "%ff", "%c3%28", "..", "/", "//", "?", "#", "&", "=", ";", "\u00e9",
                "\u00ff", "~", "%u0041", "+", " ", "\t", "\\", "\"", "'", "<script>", "${jndi:x}", "a".repeat(300),
                "%2e%2e%2f", "\u0001"};
        String[] versions = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "HTTP/1.1x", ""};
        String[] headerLines = {"X-Crossfade-Unit: ", "X-Crossfade-Unit: \u00e9\u00ff\u00c3", "Content-Length: -1",
                "Content-Length: abc", "Content-Length: 99999999999999999999", "Content-Length: 3",
                "Transfer-Encoding: gzip", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked, chunked",
                "If-None-Match: ", "If-None-Match: ,,,", "If-None-Match: W/", "Expect: 100-continue",
                "Expect: teapot", "Connection: upgrade", "Upgrade: h2c", "Host: ", "X-Crossfade-Unit: " + "u".repeat(300),
                "Accept: */*", ": empty-name", "Bad Header: x"};
        List<String> failures = new ArrayList<>();
        int answered = 0;
        for (int i = 0; i < 300; i++) {
            StringBuilder target = new StringBuilder(paths[random.nextInt(paths.length)]);
            for (int j = random.nextInt(3); j > 0; j--) {
                target.insert(random.nextInt(target.length() + 1), junk[random.nextInt(junk.length)]);
            }
            if (random.nextBoolean()) {
                target.append('?');
                for (int j = random.nextInt(4); j > 0; j--) {
                    String name = random.nextBoolean() ? (random.nextBoolean() ? "unit" : "prefix")
                            : junk[random.nextInt(junk.length)];
                    target.append(name).append('=').append(junk[random.nextInt(junk.length)]).append('&');
                }
            }
            StringBuilder request = new StringBuilder();
            request.append(methods[random.nextInt(methods.length)]).append(' ').append(target).append(' ')
                    .append(versions[random.nextInt(versions.length)]).append("\r\nHost: 127.0.0.1\r\n");
            for (int j = random.nextInt(4); j > 0; j--) {
                request.append(headerLines[random.nextInt(headerLines.length)]).append("\r\n");
            }
            request.append("Connection: close\r\n\r\n");
            if (random.nextInt(4) == 0) {
                request.append(random.nextBoolean() ? "abc" : "5\r\nhello\r\n0\r\n\r\n");
            }
            RawHttp.Answer answer = RawHttp.exchange(sidecar.readUri(), request.toString(), 30_000);
            if (answer.status() < 0) {
                continue; // the server closed without answering: acceptable for a broken request
            }
            answered++;
            boolean unsupportedVersion = !request.toString().matches("(?s)[^\\r\\n]* HTTP/1\\.[01]\\r\\n.*");
            if (answer.status() == 505 && unsupportedVersion) {
                // another version than HTTP/1.0 or 1.1: 505, still in the error shape (a HEAD's has no body)
                if (!answer.body().isEmpty() && !json(answer.body()).hasNonNull("error")) {
                    failures.add("505 not in the error shape: " + answer.body());
                }
                continue;
            }
            if (answer.status() >= 500) {
                failures.add(answer.status() + " for " + request.toString().replace("\r\n", "\\r\\n"));
            } else if (answer.status() >= 400 && !answer.body().isEmpty()) {
                var body = json(answer.body());
                if (!body.hasNonNull("error") || !body.hasNonNull("message")) {
                    failures.add("not the error shape: " + answer.body() + " for " + request);
                }
            }
        }
        assertThat(failures).isEmpty();
        assertThat(answered).as("requests that got an answer").isGreaterThan(200);
        assertThat(sidecar.isAlive()).isTrue();
        assertThat(read("/health").statusCode()).isEqualTo(200);
        assertThat(read("/v1/settings/app.limit/value").body()).isEqualTo("5");
    }
}

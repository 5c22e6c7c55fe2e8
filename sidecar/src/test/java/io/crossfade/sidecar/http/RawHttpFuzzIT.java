package io.crossfade.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.sidecar.testing.ApiAnswers;
import io.crossfade.sidecar.testing.RawHttp;
import io.crossfade.sidecar.testing.RunningSidecar;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Raw-HTTP fuzzing with a fixed seed against the real sidecar: 5 000 mutated requests, spread over
 * the read and ops listeners — broken request lines, unknown versions and methods, odd and
 * duplicated headers, bad chunk sizes, short and long bodies, deep JSON, pipelined bursts. Every
 * answer must be a status other than 500, JSON errors must carry an error code (the contract's or
 * OFREP's), and the process must keep serving reads throughout.
 */
@Tag("slow")
class RawHttpFuzzIT {

    static final long SEED = 20261201L;
    static final int CASES = 5_000;

    @RegisterExtension
    static final RunningSidecar sidecar = RunningSidecar.withFilesOf(Path.of("..", "examples", "settings"))
            .args("--request-timeout", "2s");

    private static final String[] METHODS = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "get",
            "BREW", "", "G\u0000T"};
    private static final String[] PATHS = {"/v1/settings/db.pool.size", "/v1/settings/db.pool.size/value",
            "/v1/settings?prefix=db.", "/v1/outcomes", "/v1/snapshot", "/v1/watch", "/health", "/ready", "/metrics",
            "/admin/v1/migrations", "/admin/v1/migrations/db.pool.size/percent", "/admin/v1/migrations/db.pool.size/pause",
            "/admin/v1/events?since=0&limit=5", "/admin/v1/reload", "/%", "/v1/settings/%ZZ", "*", "//", "/..%2f..%2fetc",
            "/v1/settings/" + "a".repeat(300), "http://evil/v1/settings/a", "/v1/settings?prefix=%"};
    private static final String[] VERSIONS = {"HTTP/1.1", "HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "HTTP/9.9", "HTTP/1", "FOO/1.1",
            "http/1.1", "", "HTTP/1.1 extra"};
    private static final String[] BODIES = {"", "{}", "{\"percent\": 50}", "{\"percent\": 50.0000}", "{\"percent\": 1e400}",
            "{\"outcomes\":[{\"key\":\"db.pool.size\",\"variant\":\"new\",\"ok\":1,\"errors\":0}]}", "[", "null", "\"x\"",
            "{\"reason\": " + "[".repeat(2000) + "]".repeat(2000) + "}", "{\"acceptRemovals\": \"yes\"}", "a=b&c=d",
            "\u00ff\u00fe\u0000"};

    @Test
    void noRequestGetsA500OrStopsTheSidecar() {
        Random random = new Random(SEED);
        String token = sidecar.adminToken();
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < CASES; i++) {
            URI base = random.nextBoolean() ? sidecar.readUri() : sidecar.opsUri();
            byte[] request = request(random, base, token);
            RawHttp.Answer a = RawHttp.exchange(base, request, 30_000);
            statuses.merge(a.status(), 1, Integer::sum);
            assertThat(a.status()).as("case %d: %s", i, new String(request, StandardCharsets.ISO_8859_1)).isNotEqualTo(500)
                    .as("case %d: an unknown version is 505 in the JSON shape, not Vert.x's empty 501", i).isNotEqualTo(501);
            // (a HEAD answer has the type but no body)
            if (a.status() >= 400 && a.headers().getOrDefault("content-type", "").startsWith("application/json")
                    && !a.body().isBlank()) {
                // the contract's {"error","message"}, or OFREP's own {"errorCode","errorDetails"} on /ofrep/
                var body = ApiAnswers.json(a.body());
                assertThat(body.has("error") || body.has("errorCode")).as("case %d: %s", i, a.body()).isTrue();
            }
            if (i % 500 == 0) {
                assertThat(sidecar.get("/v1/settings/db.pool.size/value").statusCode()).as("read after case %d", i)
                        .isEqualTo(200);
            }
        }
        System.out.printf("raw HTTP fuzz: %d cases, seed %d, statuses %s%n", CASES, SEED, statuses);
        assertThat(sidecar.isAlive()).isTrue();
        assertThat(sidecar.get("/health").statusCode()).isEqualTo(200);
        assertThat(sidecar.getOps("/ready").statusCode()).isEqualTo(200);
    }

    static byte[] request(Random random, URI base, String token) {
        String method = pick(random, METHODS);
        String path = pick(random, PATHS);
        String version = pick(random, VERSIONS);
        String body = pick(random, BODIES);
        StringBuilder sb = new StringBuilder();
        int shape = random.nextInt(10);
        if (shape == 0) {
            // pipelined burst
            int n = 1 + random.nextInt(400);
            for (int k = 0; k < n; k++) {
                sb.append("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            }
            return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        }
        sb.append(method).append(' ').append(path).append(' ').append(version).append("\r\n");
        sb.append(random.nextInt(20) == 0 ? "Host: attacker.example\r\n" : "Host: 127.0.0.1:" + base.getPort() + "\r\n");
        if (random.nextBoolean()) {
            sb.append("Authorization: Bearer ").append(random.nextInt(4) == 0 ? "wrong-token-0123456789" : token)
                    .append("\r\n");
        }
        if (random.nextInt(4) != 0) {
            sb.append("Content-Type: ").append(random.nextInt(5) == 0 ? "text/plain" : "application/json").append("\r\n");
        }
        if (random.nextInt(10) == 0) {
            sb.append("Origin: ").append(random.nextBoolean() ? "https://evil.example" : "null").append("\r\n");
        }
        if (random.nextInt(10) == 0) {
            sb.append("X-Crossfade-Unit: ").append("u".repeat(random.nextInt(400))).append("\r\n");
        }
        if (random.nextInt(15) == 0) {
            sb.append("Bad Header\r\n");
        }
        byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
        switch (random.nextInt(6)) {
            case 0 -> {
                // chunked, sometimes with a bad chunk size
                sb.append("Transfer-Encoding: chunked\r\n\r\n");
                String size = random.nextInt(3) == 0 ? "zz" : Integer.toHexString(bodyBytes.length);
                sb.append(size).append("\r\n").append(new String(bodyBytes, StandardCharsets.ISO_8859_1)).append("\r\n0\r\n\r\n");
            }
            case 1 -> sb.append("Content-Length: ").append(bodyBytes.length + random.nextInt(50)).append("\r\n\r\n")
                    .append(new String(bodyBytes, StandardCharsets.ISO_8859_1));
            case 2 -> sb.append("Content-Length: -1\r\n\r\n");
            default -> sb.append("Content-Length: ").append(bodyBytes.length).append("\r\n\r\n")
                    .append(new String(bodyBytes, StandardCharsets.ISO_8859_1));
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (random.nextInt(8) == 0 && bytes.length > 0) {
            bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
        }
        if (random.nextInt(10) == 0) {
            bytes = java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
        }
        return bytes;
    }

    private static String pick(Random random, String[] options) {
        return options[random.nextInt(options.length)];
    }
}

package io.crossfade.sidecar.admin;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.sidecar.testing.RawHttp;
import io.crossfade.sidecar.testing.RunningSidecar;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An admin action "takes a body or no body" (README), and an empty one needs no Content-Type: {@code
 * curl -X POST} and a client's bodiless POST are answered, while any body still has to be declared
 * JSON (415 otherwise), so pages cannot send one across sites without a preflight.
 */
class EmptyBodyIT {

    @RegisterExtension
    static final RunningSidecar sidecar = RunningSidecar.withFilesOf(Path.of("..", "examples", "settings"));

    private static RawHttp.Answer post(String path, String... headers) {
        StringBuilder sb = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        sb.append("Authorization: Bearer ").append(sidecar.adminToken()).append("\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        String request = sb.append("Connection: close\r\n\r\n").toString();
        String body = headers.length > 0 && headers[headers.length - 1].startsWith("Content-Length: 2") ? "{}" : "";
        return RawHttp.exchangeHeld(sidecar.opsUri(), (request + body).getBytes(java.nio.charset.StandardCharsets.US_ASCII), 30_000);
    }

    @Test
    void aPostWithoutABodyNeedsNoContentType() {
        RawHttp.Answer pause = post("/admin/v1/migrations/db.pool.size/pause", "Content-Length: 0");
        assertThat(pause.status()).as(pause.raw()).isEqualTo(200);
        assertThat(json(pause.body()).at("/state/state").asText()).isEqualTo("paused");

        // as curl -X POST sends it: neither a length nor chunks
        RawHttp.Answer resume = post("/admin/v1/migrations/db.pool.size/resume");
        assertThat(resume.status()).as(resume.raw()).isEqualTo(200);
        assertThat(json(resume.body()).at("/state/state").asText()).isEqualTo("running");
    }

    @Test
    void aBodyStillHasToBeDeclaredJson() {
        RawHttp.Answer untyped = post("/admin/v1/migrations/db.pool.size/pause", "Content-Length: 2");
        assertThat(untyped.status()).as(untyped.raw()).isEqualTo(415);
        assertThat(json(untyped.body()).path("message").asText()).contains("Content-Type: application/json");

        RawHttp.Answer typedEmpty = post("/admin/v1/migrations/db.pool.size/pause", "Content-Type: text/plain",
                "Content-Length: 0");
        assertThat(typedEmpty.status()).as("a declared non-JSON type is refused even when empty").isEqualTo(415);
    }
}

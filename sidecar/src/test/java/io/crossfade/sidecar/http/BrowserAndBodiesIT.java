package io.crossfade.sidecar.http;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.sidecar.testing.RawHttp;
import io.crossfade.sidecar.testing.RunningSidecar;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A web page in a browser on the same machine, DNS rebinding, and bodies built to hang a parser
 * (issues C and F), against the real sidecar: POSTs must be JSON (415), a Host that is not ours is
 * 421, an Origin that is not ours is 403, the read listener's {@code /ready} shows no paths, and
 * every POST endpoint answers a body nested thousands deep with 400.
 */
class BrowserAndBodiesIT {

    private static final int TIMEOUT = 30_000;

    @RegisterExtension
    static final RunningSidecar sidecar = RunningSidecar.withFilesOf(Path.of("..", "examples", "settings"))
            .args("--allowed-hosts", "crossfade.internal,Sidecar.Example");

    private static RawHttp.Answer send(URI base, String method, String path, String... headersAndBody) {
        StringBuilder sb = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
        String body = "";
        boolean host = false;
        for (String h : headersAndBody) {
            if (h.startsWith("BODY:")) {
                body = h.substring(5);
            } else {
                host |= h.regionMatches(true, 0, "Host:", 0, 5);
                sb.append(h).append("\r\n");
            }
        }
        if (!host) {
            sb.append("Host: 127.0.0.1:").append(base.getPort()).append("\r\n");
        }
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (!method.equals("GET")) {
            sb.append("Content-Length: ").append(bytes.length).append("\r\n");
        }
        sb.append("Connection: close\r\n\r\n").append(body);
        return RawHttp.exchangeHeld(base, sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), TIMEOUT);
    }

    private static final String OUTCOME = "BODY:{\"outcomes\":[{\"key\":\"db.pool.size\",\"variant\":\"new\",\"ok\":1,\"errors\":0}]}";

    @Test
    void aPostThatIsNotDeclaredJsonIs415SoAPageCannotSendItWithoutAPreflight() {
        for (String type : new String[] {"Content-Type: text/plain", "Content-Type: application/x-www-form-urlencoded",
                "Content-Type: multipart/form-data; boundary=x", "X-No-Type: 1"}) {
            RawHttp.Answer a = send(sidecar.readUri(), "POST", "/v1/outcomes", type, OUTCOME);
            assertThat(a.status()).as(type).isEqualTo(415);
            assertThat(json(a.body()).path("error").asText()).isEqualTo("bad_request");
            assertThat(json(a.body()).path("message").asText()).contains("application/json");
        }
        assertThat(send(sidecar.readUri(), "POST", "/v1/outcomes", "Content-Type: application/json; charset=utf-8",
                OUTCOME).status()).isEqualTo(202);
        assertThat(send(sidecar.opsUri(), "POST", "/admin/v1/migrations/db.pool.size/pause", "Content-Type: text/plain",
                "Authorization: Bearer " + sidecar.adminToken(), "BODY:{}").status()).isEqualTo(415);
    }

    @Test
    void aHostThatIsNotOursIs421OnBothListeners() {
        for (URI base : new URI[] {sidecar.readUri(), sidecar.opsUri()}) {
            RawHttp.Answer a = send(base, "GET", "/health", "Host: attacker.example:" + base.getPort());
            assertThat(a.status()).isEqualTo(421);
            assertThat(json(a.body()).path("message").asText()).contains("attacker.example", "--allowed-hosts");
            for (String ok : new String[] {"localhost", "LOCALHOST.", "app.localhost", "127.0.0.1", "[::1]", "10.1.2.3",
                    "crossfade.internal", "sidecar.example"}) {
                assertThat(send(base, "GET", "/health", "Host: " + ok + ":" + base.getPort()).status()).as(ok)
                        .isEqualTo(200);
            }
        }
        assertThat(send(sidecar.readUri(), "GET", "/v1/settings/db.pool.size", "Host: rebound.example").status())
                .isEqualTo(421);
    }

    @Test
    void anOriginThatIsNotOursIs403() {
        RawHttp.Answer a = send(sidecar.readUri(), "POST", "/v1/outcomes", "Origin: https://evil.example",
                "Content-Type: application/json", OUTCOME);
        assertThat(a.status()).isEqualTo(403);
        assertThat(json(a.body()).path("error").asText()).isEqualTo("unauthorized");
        assertThat(send(sidecar.readUri(), "GET", "/v1/settings/db.pool.size", "Origin: null").status()).isEqualTo(403);
        assertThat(send(sidecar.opsUri(), "GET", "/admin/v1/migrations", "Origin: http://evil.example",
                "Authorization: Bearer " + sidecar.adminToken()).status()).isEqualTo(403);
        // the sidecar's own origin (the console) and loopback pages may call it
        assertThat(send(sidecar.opsUri(), "GET", "/admin/v1/migrations",
                "Origin: http://127.0.0.1:" + sidecar.opsUri().getPort(),
                "Authorization: Bearer " + sidecar.adminToken()).status()).isEqualTo(200);
        assertThat(send(sidecar.readUri(), "GET", "/v1/settings/db.pool.size", "Origin: http://localhost:3000")
                .status()).isEqualTo(200);
    }

    @Test
    void theReadListenersReadyRevealsNoPath() {
        String read = sidecar.get("/ready").body();
        assertThat(read).doesNotContain(sidecar.settingsDir().toString())
                .doesNotContain(sidecar.stateDir().toString()).doesNotContain("\"location\"");
        assertThat(json(read).path("status").asText()).isEqualTo("ready");
        assertThat(sidecar.getOps("/ready").body()).contains("\"location\"");
    }

    @Test
    void everyPostEndpointAnswersABodyNestedThousandsDeepWith400() {
        String token = "Authorization: Bearer " + sidecar.adminToken();
        for (int depth : new int[] {65, 1_001, 30_000}) {
            String deep = "{\"reason\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
            String deepPercent = "{\"percent\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
            RawHttp.Answer outcomes = send(sidecar.readUri(), "POST", "/v1/outcomes", "Content-Type: application/json",
                    "BODY:{\"outcomes\":" + "[".repeat(depth) + "]".repeat(depth) + "}");
            assertThat(outcomes.status()).as("outcomes at depth %d", depth).isEqualTo(400);
            for (String action : new String[] {"pause", "resume", "rollback", "complete"}) {
                RawHttp.Answer a = send(sidecar.opsUri(), "POST", "/admin/v1/migrations/db.pool.size/" + action,
                        "Content-Type: application/json", token, "BODY:" + deep);
                assertThat(a.status()).as("%s at depth %d: %s", action, depth, a.raw()).isEqualTo(400);
                assertThat(json(a.body()).path("message").asText()).contains("not valid JSON");
            }
            assertThat(send(sidecar.opsUri(), "POST", "/admin/v1/migrations/db.pool.size/percent",
                    "Content-Type: application/json", token, "BODY:" + deepPercent).status()).isEqualTo(400);
            assertThat(send(sidecar.opsUri(), "POST", "/admin/v1/reload", "Content-Type: application/json", token,
                    "BODY:" + deep).status()).isEqualTo(400);
        }
        assertThat(sidecar.get("/health").statusCode()).isEqualTo(200);
    }
}

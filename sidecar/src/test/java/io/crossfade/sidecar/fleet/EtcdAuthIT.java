package io.crossfade.sidecar.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.testing.EtcdCluster;
import io.crossfade.sidecar.testing.FleetSidecars;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real etcd with authentication on: a sidecar given a user that may read and write only its
 * fleet's keys, and that user's password in a file, joins the fleet; one with a wrong password keeps
 * serving and says why it cannot.
 */
class EtcdAuthIT {

    private static final String FILES = """
            settings:
              db.pool.size: { value: 10 }
            migrations:
              db.pool.size: { to: 20, percent: 5 }
            """;

    @TempDir
    static Path dir;

    static EtcdCluster etcd;

    @BeforeAll
    static void startEtcdWithAuth() throws Exception {
        Assumptions.assumeTrue(EtcdCluster.available(), "etcd is not installed (apt-get install etcd-server)");
        etcd = EtcdCluster.start(dir.resolve("etcd"), 1);
        ok("/v3/auth/role/add", "{\"name\":\"root\"}");
        ok("/v3/auth/user/add", "{\"name\":\"root\",\"password\":\"root-secret\"}");
        ok("/v3/auth/user/grant", "{\"user\":\"root\",\"role\":\"root\"}");
        // The sidecars' user may touch /crossfade/secured/ and nothing else.
        ok("/v3/auth/role/add", "{\"name\":\"crossfade\"}");
        ok("/v3/auth/role/grant", "{\"name\":\"crossfade\",\"perm\":{\"permType\":\"READWRITE\",\"key\":\""
                + b64("/crossfade/secured/") + "\",\"range_end\":\"" + b64("/crossfade/secured0") + "\"}}");
        ok("/v3/auth/user/add", "{\"name\":\"crossfade\",\"password\":\"fleet-secret\"}");
        ok("/v3/auth/user/grant", "{\"user\":\"crossfade\",\"role\":\"crossfade\"}");
        ok("/v3/auth/enable", "{}");
        // Without a token etcd now refuses reads.
        assertThat(etcd.post("/v3/kv/range", "{\"key\":\"" + b64("/crossfade/secured/seq") + "\"}").statusCode())
                .isNotEqualTo(200);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    private static void ok(String path, String json) throws Exception {
        var r = etcd.post(path, json);
        assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(200);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static SidecarProcess start(String name, String password) throws Exception {
        Path passwordFile = dir.resolve(name + ".password");
        Files.writeString(passwordFile, password + "\n");
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        return new FleetSidecars("secured", FILES, etcd.endpoints()).start(dir.resolve(name), name,
                "--etcd-user", "crossfade", "--etcd-password-file", passwordFile.toString());
    }

    private static JsonNode store(SidecarProcess s) throws Exception {
        return Json.MAPPER.readTree(s.getOps("/ready").body()).path("store");
    }

    @Test
    void aSidecarWithTheFleetsUserAndPasswordFileJoinsAndChangesTheFleet() throws Exception {
        try (SidecarProcess a = start("authorized", "fleet-secret")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> store(a).path("connected").asBoolean());
            assertThat(store(a).path("servingFrom").asText()).isEqualTo("store");
            SidecarProcess.Result set = a.ctl("set", "db.pool.size", "42", "--reason", "with auth");
            assertThat(set.exitCode()).as(set.output()).isZero();
            // Heartbeats (under a lease) are written with the same credentials.
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    Json.MAPPER.readTree(a.adminGet("/admin/v1/instances").body()).path("instances").size() == 1);
        }
    }

    @Test
    void aWrongPasswordKeepsTheSidecarServingAndSaysEtcdRefusedTheUser() throws Exception {
        try (SidecarProcess b = start("refused", "not-the-password")) {
            assertThat(b.get("/v1/settings/db.pool.size").statusCode()).isEqualTo(200);
            assertThat(store(b).path("connected").asBoolean()).isFalse();
            await().atMost(Duration.ofSeconds(30)).until(() -> b.output().stream()
                    .anyMatch(l -> l.contains("refused the user crossfade")));
        }
    }
}

package io.crossfade.sidecar.cohort;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's cohort lists survive a restart, and a kill -9, of a sidecar on its own state directory. */
class CohortDurabilityIT {

    @TempDir
    Path settings;
    @TempDir
    Path state;

    private SidecarProcess sidecar;

    @AfterEach
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    private String placement(String unit) throws Exception {
        JsonNode doc = Json.MAPPER.readTree(sidecar.get("/v1/settings/db.pool.size?unit=" + unit).body());
        return doc.path("variant").asText() + " " + doc.path("placement").asText();
    }

    @Test
    void anOperatorsListsAreKeptAcrossRestartAndKill9() throws Exception {
        Files.writeString(settings.resolve("app.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                migrations:
                  db.pool.size: { to: 20, percent: 100 }
                """);
        sidecar = SidecarProcess.start(settings, state);
        SidecarProcess.Result r = sidecar.ctl("exclude", "db.pool.size", "acme", "--reason", "contract freeze");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(placement("acme")).isEqualTo("old excluded");
        sidecar.kill9();
        sidecar = sidecar.restart();
        assertThat(placement("acme")).isEqualTo("old excluded");
        assertThat(placement("globex")).isEqualTo("new percent");
        sidecar.close();
        sidecar = sidecar.restart();
        assertThat(placement("acme")).isEqualTo("old excluded");
        JsonNode events = Json.MAPPER.readTree(sidecar.adminGet("/admin/v1/events?key=db.pool.size").body()).path("events");
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.path("action").asText()).isEqualTo("exclude");
        assertThat(last.path("reason").asText()).isEqualTo("contract freeze");
        assertThat(last.path("to").path("operatorExclude").toString()).isEqualTo("[\"acme\"]");
    }
}

package io.crossfade.sidecar.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.testing.RunningFleet;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's cohort lists through {@code ctl} in a fleet of three real sidecars sharing a real
 * etcd: a unit included or excluded through one sidecar is placed so by all, with the reason audited,
 * If-Match honoured, and the operator's list shown apart from the files'.
 */
class CohortFleetIT {

    private static final String FILES = """
            settings:
              db.pool.size: { value: 10 }
            cohorts:
              staff: { units: [alice], prefixes: ["staff-"] }
            migrations:
              db.pool.size: { to: 20, percent: 0, include: [staff] }
            """;

    @RegisterExtension
    static final RunningFleet fleet = RunningFleet.of("cohorts", FILES, "fleet-token-0123456789abcdef");

    private static String placement(SidecarProcess s, String unit) throws Exception {
        JsonNode doc = Json.MAPPER.readTree(s.get("/v1/settings/db.pool.size?unit=" + unit).body());
        return doc.path("variant").asText() + " " + doc.path("placement").asText() + " " + doc.path("cohort").asText();
    }

    private static long revision(SidecarProcess s) throws Exception {
        return Json.MAPPER.readTree(s.adminGet("/admin/v1/migrations/db.pool.size").body()).path("revision").asLong();
    }

    @Test
    void anOperatorsIncludeAndExcludeThroughOneSidecarPlaceTheUnitOnEverySidecar() throws Exception {
        SidecarProcess a = fleet.sidecars().get(0);
        SidecarProcess b = fleet.sidecars().get(1);
        SidecarProcess c = fleet.sidecars().get(2);
        assertThat(placement(b, "alice")).isEqualTo("new included staff");
        assertThat(placement(b, "bob")).isEqualTo("old percent null");

        long rev = revision(a);
        SidecarProcess.Result include = a.ctl("include", "db.pool.size", "bob", "carol", "--reason", "beta testers",
                "--if-match", String.valueOf(rev));
        assertThat(include.exitCode()).as(include.output()).isZero();
        assertThat(include.output()).contains("operator include bob, carol").contains("include staff (1 unit, prefixes staff-)");
        assertThat(placement(a, "bob")).isEqualTo("new included null");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(placement(b, "bob")).isEqualTo("new included null");
            assertThat(placement(c, "carol")).isEqualTo("new included null");
        });

        // a stale revision is refused, and changes nothing
        SidecarProcess.Result stale = b.ctl("exclude", "db.pool.size", "alice", "--if-match", String.valueOf(rev));
        assertThat(stale.exitCode()).as(stale.output()).isEqualTo(1);
        assertThat(stale.output()).contains("someone changed it since you looked");

        SidecarProcess.Result exclude = b.ctl("exclude", "db.pool.size", "alice", "--reason", "on leave");
        assertThat(exclude.exitCode()).as(exclude.output()).isZero();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(placement(a, "alice")).as("an operator's exclude wins over the files' include")
                    .isEqualTo("old excluded null");
            assertThat(placement(c, "alice")).isEqualTo("old excluded null");
        });

        // both lists shown, apart, on any sidecar
        JsonNode cohorts = Json.MAPPER.readTree(c.adminGet("/admin/v1/migrations/db.pool.size").body()).path("cohorts");
        assertThat(cohorts.path("include").get(0).path("cohort").asText()).isEqualTo("staff");
        assertThat(cohorts.path("operatorInclude").toString()).isEqualTo("[\"bob\",\"carol\"]");
        assertThat(cohorts.path("operatorExclude").toString()).isEqualTo("[\"alice\"]");
        SidecarProcess.Result status = c.ctl("status");
        assertThat(status.output()).contains("db.pool.size cohorts: include staff (1 unit, prefixes staff-);"
                + " operator exclude alice; operator include bob, carol");

        // audited, with who, where and why
        SidecarProcess.Result events = c.ctl("events", "db.pool.size");
        assertThat(events.output()).contains("include").contains("beta testers").contains("@sidecar-a")
                .contains("exclude").contains("on leave").contains("@sidecar-b");

        SidecarProcess.Result un = c.ctl("uninclude", "db.pool.size", "bob", "--reason", "done");
        assertThat(un.exitCode()).as(un.output()).isZero();
        SidecarProcess.Result nothing = c.ctl("unexclude", "db.pool.size", "nobody");
        assertThat(nothing.exitCode()).isEqualTo(1);
        assertThat(nothing.output()).contains("nobody not in the operator's exclude list");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(placement(a, "bob")).isEqualTo("old percent null"));
    }
}

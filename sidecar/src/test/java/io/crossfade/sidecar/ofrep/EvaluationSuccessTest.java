package io.crossfade.sidecar.ofrep;

import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.config.ActiveMigration;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.MigrationStatus;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.SettingsSpec;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.read.ResponseCache;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EvaluationSuccessTest {

    private static SettingsSpec spec;

    @BeforeAll
    static void parse() throws Exception {
        spec = new SettingsDirectory().parse(Map.of("s.yaml", """
                settings:
                  db.pool.size: { value: 10 }
                  search.model: { value: "bm25" }
                migrations:
                  db.pool.size: { to: 20, percent: 37.5 }
                """.getBytes(StandardCharsets.UTF_8)));
    }

    static ActiveMigration migration(int percent, MigrationState state) {
        MigrationSpec m = spec.migrations().get("db.pool.size");
        return new ActiveMigration(m, new MigrationStatus(percent, state));
    }

    @ParameterizedTest(name = "{0} at {1} thousandths: {2}")
    @CsvSource({
        "RUNNING,     37500,  SPLIT",
        "RUNNING,     1,      SPLIT",
        "RUNNING,     99999,  SPLIT",
        "PAUSED,      50000,  SPLIT",
        "HALTED,      5000,   SPLIT",
        "RUNNING,     0,      STATIC",
        "RUNNING,     100000, STATIC",
        "PAUSED,      0,      STATIC",
        "HALTED,      100000, STATIC",
        "ROLLED_BACK, 50000,  STATIC",
        "COMPLETED,   50000,  STATIC",
    })
    void reasonIsSplitOnlyWhileABlendIsInEffect(MigrationState state, int percent, String reason) {
        assertThat(EvaluationSuccess.reason(migration(percent, state))).isEqualTo(reason);
    }

    @Test
    void aSettingWithoutMigrationIsStatic() {
        assertThat(EvaluationSuccess.reason(null)).isEqualTo("STATIC");
    }

    @Test
    void theReadPathPreparesTheOfrepFormWithTheSameVariantAsItsOwnAnswer() throws Exception {
        SettingsSnapshot snapshot = new SettingsSnapshot(7, spec,
                Map.of("db.pool.size", migration(37_500, MigrationState.RUNNING)));
        ResponseCache cache = new ResponseCache(100, java.util.List.of(EvaluationSuccess.FORM));
        for (int i = 0; i < 500; i++) {
            String unit = "user-" + i;
            var ofrep = Json.MAPPER.readTree(cache.answer(snapshot, "db.pool.size", unit, EvaluationSuccess.FORM)
                    .body().getBytes());
            var resolved = snapshot.resolve("db.pool.size", unit);
            assertThat(ofrep.path("variant").asText()).isEqualTo(resolved.variant().wireName());
            assertThat(ofrep.path("value")).isEqualTo(resolved.value());
            assertThat(ofrep.path("metadata").path("version").asLong()).isEqualTo(7);
            assertThat(ofrep.path("metadata").path("percent").decimalValue()).isEqualByComparingTo("37.5");
        }
        assertThat(cache.answer(snapshot, "no.such.key", "u", EvaluationSuccess.FORM)).isNull();
    }
}

package io.crossfade.sidecar.read;

import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.config.ActiveMigration;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.MigrationStatus;
import io.crossfade.config.Resolution;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.SettingsSpec;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ResponseCacheTest {

    private static SettingsSpec spec;

    @BeforeAll
    static void parse() throws Exception {
        String yaml = """
                settings:
                  db.pool.size: { value: 10 }
                  search.model: { value: "bm25" }
                migrations:
                  db.pool.size: { to: 20, percent: 37.5 }
                """;
        spec = new SettingsDirectory().parse(Map.of("s.yaml", yaml.getBytes(StandardCharsets.UTF_8)));
    }

    private static SettingsSnapshot snapshot(long version, int percent, MigrationState state) {
        MigrationSpec m = spec.migrations().get("db.pool.size");
        return new SettingsSnapshot(version, spec, Map.of(m.key(), new ActiveMigration(m, new MigrationStatus(percent, state))));
    }

    private static String body(PreparedResponse r) {
        return r.body().toString(StandardCharsets.UTF_8);
    }

    @Test
    void everyUnitGetsTheVariantAndValueTheSnapshotResolves() throws Exception {
        SettingsSnapshot snapshot = snapshot(1, 37_500, MigrationState.RUNNING);
        PreparedSetting prepared = new ResponseCache(100).prepared(snapshot, "db.pool.size");
        int onNew = 0;
        for (int i = 0; i < 20_000; i++) {
            String unit = "user-" + i;
            Resolution expected = snapshot.resolve("db.pool.size", unit);
            PreparedResponse full = prepared.response(unit, false);
            PreparedResponse bare = prepared.response(unit, true);
            assertThat(full.variant()).isEqualTo(expected.variant());
            assertThat(Json.MAPPER.readTree(body(full)).get("value")).isEqualTo(expected.value());
            assertThat(Json.MAPPER.readTree(body(bare))).isEqualTo(expected.value());
            onNew += expected.variant() == Variant.NEW ? 1 : 0;
        }
        assertThat(onNew).isBetween(7_000, 8_000);
    }

    @Test
    void documentCarriesKeyVariantVersionAndMigration() throws Exception {
        SettingsSnapshot snapshot = snapshot(7, 37_500, MigrationState.RUNNING);
        PreparedResponse r = new ResponseCache(100).prepared(snapshot, "db.pool.size").response("user-1", false);
        var doc = Json.MAPPER.readTree(body(r));
        assertThat(doc.get("key").asText()).isEqualTo("db.pool.size");
        assertThat(doc.get("variant").asText()).isEqualTo(r.variant().wireName());
        assertThat(doc.get("version").asLong()).isEqualTo(7);
        assertThat(doc.get("migration").get("percent").decimalValue()).isEqualByComparingTo("37.5");
        assertThat(doc.get("migration").get("state").asText()).isEqualTo("running");
        assertThat(r.etag().toString()).isEqualTo("\"7-" + r.variant().wireName() + "\"");
        assertThat(r.variantHeader().toString()).isEqualTo(r.variant().wireName());
    }

    @Test
    void staticSettingIsServedWithoutAMigration() throws Exception {
        PreparedResponse r = new ResponseCache(100).prepared(snapshot(1, 0, MigrationState.RUNNING), "search.model")
                .response("anyone", false);
        assertThat(r.variant()).isEqualTo(Variant.STATIC);
        assertThat(Json.MAPPER.readTree(body(r)).get("migration").isNull()).isTrue();
    }

    @Test
    void unknownKeyHasNoAnswers() {
        assertThat(new ResponseCache(100).prepared(snapshot(1, 0, MigrationState.RUNNING), "no.such.key")).isNull();
    }

    @Test
    void aNewerSnapshotIsNeverAnsweredFromAnOlderOnesEntry() {
        ResponseCache cache = new ResponseCache(100);
        cache.prepared(snapshot(1, 0, MigrationState.RUNNING), "db.pool.size");
        PreparedSetting completed = cache.prepared(snapshot(2, 0, MigrationState.COMPLETED), "db.pool.size");
        assertThat(completed.version()).isEqualTo(2);
        assertThat(completed.response("user-1", false).variant()).isEqualTo(Variant.NEW);
    }

    @Test
    void aReaderOfAnOlderSnapshotDoesNotReplaceTheNewerEntry() {
        ResponseCache cache = new ResponseCache(100);
        PreparedSetting newer = cache.prepared(snapshot(2, 100_000, MigrationState.RUNNING), "db.pool.size");
        PreparedSetting old = cache.prepared(snapshot(1, 0, MigrationState.RUNNING), "db.pool.size");
        assertThat(old.version()).isEqualTo(1);
        assertThat(old.response("user-1", false).variant()).isEqualTo(Variant.OLD);
        PreparedSetting again = cache.prepared(snapshot(2, 100_000, MigrationState.RUNNING), "db.pool.size");
        assertThat(again).isSameAs(newer);
    }
}

package io.crossfade.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotDocumentTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static MigrationSpec migration(String key, String from, String to, String salt) {
        return new MigrationSpec(key, json(from), json(to), salt, 0, "alice", "fine", "undo", GuardSpec.DEFAULT,
                List.of(new Step(1000, java.time.Duration.ofMinutes(5)), new Step(100_000, null)), "a.yaml");
    }

    /** Four settings: static, running at 12.345 %, rolled back (set percent kept at 40 %), completed. */
    private static SettingsSnapshot sample() {
        Map<String, Setting> settings = Map.of(
                "plain", new Setting("plain", json("\"bm25\""), "team", "ranking", "a.yaml"),
                "pool", new Setting("pool", json("10"), null, null, "a.yaml"),
                "banner", new Setting("banner", json("{\"text\":\"hi\",\"color\":\"#0a7\"}"), null, null, "a.yaml"),
                "ratio", new Setting("ratio", json("0.25"), null, null, "a.yaml"));
        MigrationSpec pool = migration("pool", "10", "20", "pool");
        MigrationSpec banner = migration("banner", "{\"text\":\"hi\",\"color\":\"#0a7\"}", "{\"text\":\"yo\"}", "salty");
        MigrationSpec ratio = migration("ratio", "0.25", "0.5", "ratio");
        SettingsSpec spec = new SettingsSpec(settings, Map.of("pool", pool, "banner", banner, "ratio", ratio));
        return new SettingsSnapshot(1795518438688L, spec, Map.of(
                "pool", new ActiveMigration(pool, new MigrationStatus(12_345, MigrationState.RUNNING)),
                "banner", new ActiveMigration(banner, new MigrationStatus(40_000, MigrationState.ROLLED_BACK)),
                "ratio", new ActiveMigration(ratio, new MigrationStatus(50_000, MigrationState.COMPLETED))));
    }

    private static SnapshotDocument throughText(SettingsSnapshot snapshot) throws Exception {
        byte[] bytes = MAPPER.writeValueAsBytes(SnapshotDocument.write(snapshot, "instance-1"));
        return SnapshotDocument.read(MAPPER.readTree(bytes));
    }

    @Test
    void readingWhatWasWrittenResolvesEveryUnitTheSameWay() throws Exception {
        SettingsSnapshot original = sample();
        SnapshotDocument copy = throughText(original);

        assertThat(copy.instanceId()).isEqualTo("instance-1");
        assertThat(copy.snapshot().version()).isEqualTo(original.version());
        assertThat(copy.snapshot().spec().settings().keySet()).isEqualTo(original.spec().settings().keySet());
        for (String key : original.spec().settings().keySet()) {
            for (int u = 0; u < 2_000; u++) {
                Resolution want = original.resolve(key, "user-" + u);
                Resolution got = copy.snapshot().resolve(key, "user-" + u);
                assertThat(got.variant()).as("%s user-%d", key, u).isEqualTo(want.variant());
                assertThat(got.value()).as("%s user-%d", key, u).isEqualTo(want.value());
            }
        }
    }

    @Test
    void writingWhatWasReadGivesTheSameDocument() throws Exception {
        ObjectNode first = SnapshotDocument.write(sample(), "instance-1");
        SnapshotDocument copy = SnapshotDocument.read(MAPPER.readTree(MAPPER.writeValueAsBytes(first)));
        assertThat(copy.toJson()).isEqualTo(first);
    }

    @Test
    void migrationsCarryIdentitySaltAndTheEffectivePercent() throws Exception {
        SnapshotDocument copy = throughText(sample());
        ActiveMigration pool = copy.snapshot().migration("pool");
        assertThat(pool.id()).isEqualTo(sample().migration("pool").id());
        assertThat(pool.status()).isEqualTo(new MigrationStatus(12_345, MigrationState.RUNNING));
        assertThat(copy.snapshot().migration("banner").spec().salt()).isEqualTo("salty");
        assertThat(copy.snapshot().migration("banner").status().effectivePercent()).isZero();
        assertThat(copy.snapshot().migration("ratio").status().effectivePercent()).isEqualTo(Percent.FULL);
        assertThat(copy.snapshot().migration("plain")).isNull();
    }

    @Test
    void theDocumentShowsDecimalPercentsAndWireStates() {
        ObjectNode doc = SnapshotDocument.write(sample(), "i");
        assertThat(doc.at("/migrations/pool/percent").decimalValue()).isEqualByComparingTo("12.345");
        assertThat(doc.at("/migrations/banner/state").asText()).isEqualTo("rolled_back");
        assertThat(doc.at("/migrations/banner/percent").asInt()).isZero();
        assertThat(doc.at("/migrations/ratio/percent").asInt()).isEqualTo(100);
        assertThat(doc.at("/settings/banner/text").asText()).isEqualTo("hi");
        assertThat(doc.at("/migrations/pool/owner").isMissingNode()).isTrue();
    }

    @Test
    void unknownFieldsAreIgnored() {
        ObjectNode doc = SnapshotDocument.write(sample(), "i");
        doc.put("future", true);
        ((ObjectNode) doc.at("/migrations/pool")).put("guard", "later");
        assertThat(SnapshotDocument.read(doc).snapshot().contains("pool")).isTrue();
    }

    @Test
    void malformedDocumentsAreRefusedNamingTheField() {
        assertThatThrownBy(() -> SnapshotDocument.read(json("[]"))).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> SnapshotDocument.read(json("{\"version\":\"1\",\"instanceId\":\"i\",\"settings\":{},\"migrations\":{}}")))
                .hasMessageContaining("'version'");
        assertThatThrownBy(() -> SnapshotDocument.read(json("{\"version\":1,\"settings\":{},\"migrations\":{}}")))
                .hasMessageContaining("instanceId");
        assertThatThrownBy(() -> SnapshotDocument.read(json("{\"version\":1,\"instanceId\":\"i\",\"settings\":{\"Bad Key\":1},\"migrations\":{}}")))
                .hasMessageContaining("invalid key 'Bad Key'");
        assertThatThrownBy(() -> SnapshotDocument.read(json("{\"version\":1,\"instanceId\":\"i\",\"settings\":{\"a\":1},"
                + "\"migrations\":{\"b\":{\"id\":\"x\",\"from\":1,\"to\":2,\"salt\":\"b\",\"percent\":5,\"state\":\"running\"}}}")))
                .hasMessageContaining("migrations.b migrates a setting that is not in 'settings'");
        assertThatThrownBy(() -> SnapshotDocument.read(json("{\"version\":1,\"instanceId\":\"i\",\"settings\":{\"a\":1},"
                + "\"migrations\":{\"a\":{\"id\":\"x\",\"from\":1,\"to\":2,\"salt\":\"a\",\"percent\":101,\"state\":\"running\"}}}")))
                .hasMessageContaining("migrations.a.percent");
        assertThatThrownBy(() -> SnapshotDocument.read(json("{\"version\":1,\"instanceId\":\"i\",\"settings\":{\"a\":1},"
                + "\"migrations\":{\"a\":{\"id\":\"x\",\"from\":1,\"to\":2,\"salt\":\"a\",\"percent\":5,\"state\":\"sleeping\"}}}")))
                .hasMessageContaining("migrations.a.state");
        assertThatThrownBy(() -> SnapshotDocument.read(json("{\"version\":1,\"instanceId\":\"i\",\"settings\":{\"a\":1},"
                + "\"migrations\":{\"a\":{\"id\":\"x\",\"from\":1,\"salt\":\"a\",\"percent\":5,\"state\":\"running\"}}}")))
                .hasMessageContaining("migrations.a.to is missing");
    }
}

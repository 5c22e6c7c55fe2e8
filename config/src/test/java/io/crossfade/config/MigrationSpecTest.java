package io.crossfade.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MigrationSpecTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static MigrationSpec spec(String key, JsonNode from, JsonNode to, String salt) {
        return new MigrationSpec(key, from, to, salt, 5_000, "alice", "nothing breaks", "set percent to 0",
                GuardSpec.DEFAULT, List.of(new Step(1_000, Duration.ofMinutes(5)), new Step(100_000, null)), "a.yaml");
    }

    private static final MigrationSpec BASE = spec("db.pool.size", IntNode.valueOf(10), IntNode.valueOf(20), "db.pool.size");

    @Test
    void idIsSixteenLowerCaseHexCharacters() {
        assertThat(BASE.id()).matches("[0-9a-f]{16}");
    }

    @Test
    void idIsStableForTheSameKeyFromToAndSalt() {
        MigrationSpec again = spec("db.pool.size", IntNode.valueOf(10), IntNode.valueOf(20), "db.pool.size");
        assertThat(again.id()).isEqualTo(BASE.id());
        assertThat(BASE.id()).isEqualTo(BASE.id());
    }

    @Test
    void idIgnoresTheOrderOfObjectFieldsInValues() {
        MigrationSpec a = spec("svc.limits", json("{\"a\":1,\"b\":{\"x\":[{\"p\":1,\"q\":2}],\"y\":true}}"),
                json("{\"c\":\"z\",\"d\":[3,2,1]}"), "svc.limits");
        MigrationSpec b = spec("svc.limits", json("{\"b\":{\"y\":true,\"x\":[{\"q\":2,\"p\":1}]},\"a\":1}"),
                json("{\"d\":[3,2,1],\"c\":\"z\"}"), "svc.limits");
        assertThat(b.id()).isEqualTo(a.id());
    }

    @Test
    void idKeepsTheOrderOfArrayElements() {
        MigrationSpec a = spec("svc.hosts", json("[\"a\"]"), json("[\"b\",\"c\"]"), "svc.hosts");
        MigrationSpec b = spec("svc.hosts", json("[\"a\"]"), json("[\"c\",\"b\"]"), "svc.hosts");
        assertThat(b.id()).isNotEqualTo(a.id());
    }

    @Test
    void idChangesWhenToChanges() {
        MigrationSpec other = spec("db.pool.size", IntNode.valueOf(10), IntNode.valueOf(30), "db.pool.size");
        assertThat(other.id()).isNotEqualTo(BASE.id());
    }

    @Test
    void idChangesWhenToChangesTypeButNotText() {
        MigrationSpec other = spec("db.pool.size", IntNode.valueOf(10), TextNode.valueOf("20"), "db.pool.size");
        assertThat(other.id()).isNotEqualTo(BASE.id());
    }

    @Test
    void idChangesWhenSaltChanges() {
        MigrationSpec other = spec("db.pool.size", IntNode.valueOf(10), IntNode.valueOf(20), "db.pool.size-v2");
        assertThat(other.id()).isNotEqualTo(BASE.id());
    }

    @Test
    void idChangesWhenFromOrKeyChanges() {
        assertThat(spec("db.pool.size", IntNode.valueOf(11), IntNode.valueOf(20), "db.pool.size").id())
                .isNotEqualTo(BASE.id());
        assertThat(spec("db.pool.max", IntNode.valueOf(10), IntNode.valueOf(20), "db.pool.size").id())
                .isNotEqualTo(BASE.id());
    }

    @Test
    void idDoesNotConfuseFieldBoundaries() {
        // Plain concatenation would make ("ab", salt "c") and ("a", salt "bc") collide.
        MigrationSpec a = spec("ab", TextNode.valueOf("x"), TextNode.valueOf("y"), "c");
        MigrationSpec b = spec("a", TextNode.valueOf("x"), TextNode.valueOf("y"), "bc");
        assertThat(a.id()).isNotEqualTo(b.id());
    }

    @Test
    void idIsUnchangedWhenOwnerNotesGuardStepsPercentOrSourceChange() {
        MigrationSpec edited = new MigrationSpec("db.pool.size", IntNode.valueOf(10), IntNode.valueOf(20),
                "db.pool.size", 25_000, "bob", "something else", "call bob",
                new GuardSpec(0.2, 3.0, 50, Duration.ofSeconds(30), 0.95, GuardAction.ROLLBACK),
                List.of(new Step(50_000, Duration.ofHours(1)), new Step(100_000, null)), "b.json");
        assertThat(edited.id()).isEqualTo(BASE.id());
        MigrationSpec bare = new MigrationSpec("db.pool.size", IntNode.valueOf(10), IntNode.valueOf(20),
                "db.pool.size", 0, null, null, null, GuardSpec.DEFAULT, List.of(), null);
        assertThat(bare.id()).isEqualTo(BASE.id());
    }

    @Test
    void stepsAreCopiedSoTheSpecStaysImmutable() {
        List<Step> steps = new ArrayList<>(List.of(new Step(1_000, Duration.ofMinutes(1))));
        MigrationSpec m = new MigrationSpec("k", IntNode.valueOf(1), IntNode.valueOf(2), "k", 0, null, null, null,
                GuardSpec.DEFAULT, steps, null);
        steps.add(new Step(100_000, null));
        assertThat(m.steps()).hasSize(1);
        assertThat(m.hasSteps()).isTrue();
        assertThatThrownBy(() -> m.steps().add(new Step(2, null))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void initialPercentOutsideTheRangeIsRefused() {
        assertThatThrownBy(() -> new MigrationSpec("k", IntNode.valueOf(1), IntNode.valueOf(2), "k", 100_001, null,
                null, null, GuardSpec.DEFAULT, List.of(), null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MigrationSpec("k", IntNode.valueOf(1), IntNode.valueOf(2), "k", -1, null,
                null, null, GuardSpec.DEFAULT, List.of(), null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void canonicalJsonSortsFieldsRecursivelyWithoutWhitespace() {
        assertThat(CanonicalJson.write(json("{ \"b\": [ {\"z\":1, \"a\":2} ], \"a\": null }")))
                .isEqualTo("{\"a\":null,\"b\":[{\"a\":2,\"z\":1}]}");
        assertThat(CanonicalJson.write(TextNode.valueOf("é"))).isEqualTo("\"é\"");
    }
}

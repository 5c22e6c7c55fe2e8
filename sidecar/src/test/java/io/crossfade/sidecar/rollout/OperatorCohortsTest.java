package io.crossfade.sidecar.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.IntNode;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.Change.CohortOp;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The operator's include and exclude lists as {@link Transitions} keeps them in the durable record. */
class OperatorCohortsTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private static final MigrationSpec SPEC = new MigrationSpec("db.pool.size", IntNode.valueOf(10), IntNode.valueOf(20),
            "db.pool.size", 5_000, null, null, null, GuardSpec.DEFAULT, List.of(), "test.yaml");

    private static MigrationRecord apply(MigrationRecord r, CohortOp op, String... units) {
        return Transitions.apply(r, SPEC, new Change.Cohort(op, List.of(units)), T0);
    }

    @Test
    void includeAndExcludeAddToSeparateSortedListsAndTheUnOpsTakeAway() {
        MigrationRecord r = Transitions.created(SPEC, T0);
        r = apply(r, CohortOp.INCLUDE, "bob", "alice");
        r = apply(r, CohortOp.EXCLUDE, "acme");
        assertThat(r.operatorInclude()).containsExactly("alice", "bob");
        assertThat(r.operatorExclude()).containsExactly("acme");
        r = apply(r, CohortOp.UNINCLUDE, "alice");
        r = apply(r, CohortOp.UNEXCLUDE, "acme");
        assertThat(r.operatorInclude()).containsExactly("bob");
        assertThat(r.operatorExclude()).isEmpty();
        assertThat(r.percent()).isEqualTo(5_000);
        assertThat(r.state()).isEqualTo(MigrationState.RUNNING);
    }

    @Test
    void aChangeThatChangesNothingIsRefusedSoItIsNotAudited() {
        MigrationRecord r = apply(Transitions.created(SPEC, T0), CohortOp.INCLUDE, "alice");
        assertThatThrownBy(() -> apply(r, CohortOp.INCLUDE, "alice"))
                .isInstanceOf(ChangeRefusedException.class).hasMessageContaining("alice already in the operator's include list");
        assertThatThrownBy(() -> apply(r, CohortOp.UNEXCLUDE, "alice"))
                .isInstanceOf(ChangeRefusedException.class).hasMessageContaining("alice not in the operator's exclude list");
        // one new unit among known ones is a change
        assertThat(apply(r, CohortOp.INCLUDE, "alice", "bob").operatorInclude()).containsExactly("alice", "bob");
    }

    @Test
    void theListsAreKeptInEveryStateAndThroughOtherChanges() {
        MigrationRecord r = apply(Transitions.created(SPEC, T0), CohortOp.EXCLUDE, "acme");
        r = Transitions.apply(r, SPEC, new Change.Rollback(), T0);
        r = apply(r, CohortOp.INCLUDE, "alice");
        r = Transitions.apply(r, SPEC, new Change.SetPercent(10_000), T0);
        assertThat(r.operatorExclude()).containsExactly("acme");
        assertThat(r.operatorInclude()).containsExactly("alice");
        assertThat(r.stamped(9, T0, "why").operatorInclude()).containsExactly("alice");
    }

    @Test
    void aListOverItsLimitIsRefused() {
        String[] many = IntStream.rangeClosed(0, MigrationRecord.MAX_OPERATOR_UNITS).mapToObj(i -> "u" + i)
                .toArray(String[]::new);
        assertThatThrownBy(() -> apply(Transitions.created(SPEC, T0), CohortOp.EXCLUDE, many))
                .isInstanceOf(ChangeRefusedException.class).hasMessageContaining("over the limit of 1000");
    }

    @Test
    void aRecordWrittenBeforeTheListsExistedReadsWithEmptyLists() throws Exception {
        String old = """
                {"id":"05af51ed6bb37251","key":"db.pool.size","percent":5000,"state":"running","revision":3,
                 "manual":false,"stepIndex":-1,"holdStartedAt":null,"heldMillis":0,"reason":null,
                 "createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-01-01T00:00:00Z","haltedBy":null}
                """;
        MigrationRecord r = Json.MAPPER.readValue(old, MigrationRecord.class);
        assertThat(r.operatorInclude()).isEmpty();
        assertThat(r.operatorExclude()).isEmpty();
        MigrationRecord withLists = r.withOperatorLists(List.of("b", "a"), List.of("c"));
        MigrationRecord back = Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(withLists), MigrationRecord.class);
        assertThat(back).isEqualTo(withLists);
        assertThat(back.operatorInclude()).containsExactly("a", "b");
    }
}

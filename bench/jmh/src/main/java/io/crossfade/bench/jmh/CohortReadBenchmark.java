package io.crossfade.bench.jmh;

import com.fasterxml.jackson.databind.node.IntNode;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.Cohort;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.MigrationStatus;
import io.crossfade.config.Placement;
import io.crossfade.config.Targeting;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What cohorts add to placing a unit ({@link ActiveMigration#placementFor}, which every reader calls):
 * the same migration at 5 % without cohorts, and with the cohorts (an include cohort of 100
 * units and 10 prefixes, an exclude cohort of 100 000 units from a file, and inline units), for units
 * in no cohort (the percent decides: the common read) and units a cohort places. Each read places a
 * fresh copy of its unit, as a request's decoded unit is, so the string's hash is computed per read
 * in both cases.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CohortReadBenchmark {

    private ActiveMigration plain;
    private ActiveMigration withCohorts;
    private char[][] misses;
    private char[][] hits;
    private int next;

    @Setup
    public void setUp() {
        MigrationSpec spec = new MigrationSpec("db.pool.size", IntNode.valueOf(10), IntNode.valueOf(20), "db.pool.size",
                5_000, null, null, null, GuardSpec.DEFAULT, List.of(), null);
        List<String> staff = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            staff.add("staff-" + i);
        }
        for (int i = 0; i < 10; i++) {
            prefixes.add("team" + i + "-");
        }
        List<String> frozen = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            frozen.add("tenant-" + i);
        }
        Targeting targeting = Targeting.of(List.of(new Cohort("staff", staff, prefixes, null), Cohort.inline(List.of("alice"))),
                List.of(new Cohort("frozen", frozen, List.of(), "frozen.txt"), Cohort.inline(List.of("tenant-x"))));
        MigrationSpec cohortSpec = new MigrationSpec(spec.key(), spec.from(), spec.to(), spec.salt(), spec.initialPercent(),
                null, null, null, GuardSpec.DEFAULT, List.of(), null, targeting);
        MigrationStatus status = new MigrationStatus(5_000, MigrationState.RUNNING);
        plain = new ActiveMigration(spec, status);
        withCohorts = new ActiveMigration(cohortSpec, status);
        misses = new char[1024][];
        hits = new char[1024][];
        for (int i = 0; i < 1024; i++) {
            misses[i] = ("user-" + i).toCharArray();
            hits[i] = (i % 3 == 0 ? "staff-" + (i % 100) : i % 3 == 1 ? "tenant-" + (i * 97) : "team" + (i % 10) + "-" + i)
                    .toCharArray();
        }
    }

    @Benchmark
    public Placement withoutCohorts() {
        return plain.placementFor(new String(misses[next++ & 1023]));
    }

    @Benchmark
    public Placement withCohortsUnitInNone() {
        return withCohorts.placementFor(new String(misses[next++ & 1023]));
    }

    @Benchmark
    public Placement withCohortsUnitInOne() {
        return withCohorts.placementFor(new String(hits[next++ & 1023]));
    }
}

package io.crossfade.bench.jmh;

import io.crossfade.config.Resolution;
import io.crossfade.config.SettingsException;
import io.crossfade.config.SettingsSnapshot;
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
 * {@link SettingsSnapshot#resolve} in a snapshot of 10 000 settings and 100 running migrations: the
 * domain's lookup of what one unit reads, for a migrated key (lookup plus bucketing) and a static one.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SnapshotBenchmark {

    private SettingsSnapshot snapshot;
    private final String migratedKey = SettingsFixture.key(0);
    private final String staticKey = SettingsFixture.key(5_000);
    private String[] units;
    private int next;

    @Setup
    public void setUp() throws SettingsException {
        snapshot = SettingsFixture.snapshot(10_000, 100);
        units = new String[1024];
        for (int i = 0; i < units.length; i++) {
            units[i] = "u-" + i;
        }
    }

    @Benchmark
    public Resolution resolveMigrated() {
        return snapshot.resolve(migratedKey, units[next++ & 1023]);
    }

    @Benchmark
    public Resolution resolveStatic() {
        return snapshot.resolve(staticKey, units[next++ & 1023]);
    }
}

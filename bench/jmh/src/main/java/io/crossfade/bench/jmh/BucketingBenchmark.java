package io.crossfade.bench.jmh;

import io.crossfade.config.Bucketing;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Bucketing#bucket}: murmur3 of salt + unit and the bucket arithmetic, the per-read cost of a
 * migration. Target: at most 50 ns per call. Units cycle through 1024 distinct values so the branch
 * predictor cannot learn one input; {@code short} units look like {@code u-123} (what the HTTP
 * benchmarks send), {@code uuid} units are 36-character request ids.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BucketingBenchmark {

    @Param({"short", "uuid"})
    public String units;

    private final String salt = SettingsFixture.MIGRATED_KEY;
    private String[] unitValues;
    private int next;

    @Setup
    public void setUp() {
        unitValues = new String[1024];
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < unitValues.length; i++) {
            unitValues[i] = units.equals("uuid") ? new UUID(random.nextLong(), random.nextLong()).toString() : "u-" + i;
        }
    }

    @Benchmark
    public int bucket() {
        String unit = unitValues[next++ & 1023];
        return Bucketing.bucket(salt, unit);
    }
}

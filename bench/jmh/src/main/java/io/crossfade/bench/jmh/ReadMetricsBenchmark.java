package io.crossfade.bench.jmh;

import io.crossfade.config.Variant;
import io.crossfade.sidecar.metrics.CrossfadeMetrics;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link CrossfadeMetrics#read}: what recording one read costs (the per-key, per-variant counter and
 * the read-duration histogram), next to the read path's own lookup in {@code ReadPathBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ReadMetricsBenchmark {

    private CrossfadeMetrics metrics;
    private final String key = SettingsFixture.MIGRATED_KEY;
    private long nanos = 1_000;

    @Setup
    public void setUp() {
        metrics = new CrossfadeMetrics();
    }

    @TearDown
    public void tearDown() {
        metrics.close();
    }

    @Benchmark
    public void recordRead() {
        nanos = (nanos * 31 + 7) & 0xFFFF; // durations vary over the histogram's first buckets
        metrics.read(key, (nanos & 1) == 0 ? Variant.OLD : Variant.NEW, nanos + 500);
    }
}

package io.crossfade.sidecar.read;

import io.crossfade.bench.jmh.SettingsFixture;
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
 * The read path's work between the HTTP request and the response bytes, without the HTTP stack:
 * the prepared-response cache lookup (version-checked) and the unit's bucketing, for a key with a
 * running migration in a snapshot of 10 000 settings. Lives in the read package to reach its package-private
 * lookup, exactly as {@link SettingsEndpoints} calls it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ReadPathBenchmark {

    private SettingsSnapshot snapshot;
    private ResponseCache cache;
    private final String key = SettingsFixture.MIGRATED_KEY;
    private String[] units;
    private int next;

    @Setup
    public void setUp() throws SettingsException {
        snapshot = SettingsFixture.snapshot(10_000, 100);
        cache = new ResponseCache(100_000);
        units = new String[1024];
        for (int i = 0; i < units.length; i++) {
            units[i] = "u-" + i;
        }
    }

    /** What {@link SettingsEndpoints} does per read between parsing the request and writing the answer. */
    @Benchmark
    public Object preparedResponse() {
        return cache.prepared(snapshot, key).response(units[next++ & 1023], false);
    }
}

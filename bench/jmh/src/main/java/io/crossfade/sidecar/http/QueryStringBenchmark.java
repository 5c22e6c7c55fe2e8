package io.crossfade.sidecar.http;

import io.vertx.core.MultiMap;
import io.vertx.core.http.impl.HttpUtils;
import java.nio.charset.StandardCharsets;
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
 * What reading {@code ?unit=} costs a read: the sidecar's own {@link QueryString} (a scan for the
 * one parameter, and the Dispatcher's check that the query decodes) against Vert.x's decoding, which
 * is what {@code request.getParam("unit")} does on a request's first call (a Netty
 * {@code QueryStringDecoder} over the whole URI, copied into a case-insensitive {@code MultiMap}).
 * The question it answers (issue 11): does the hand-written scan matter next to a whole read?
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class QueryStringBenchmark {

    /** A typical read's query, and one with an escaped unit and a second parameter. */
    @Param({"unit=u-4711", "unit=user%40example.com&prefix=db."})
    public String query;

    private String uri;

    @Setup
    public void setUp() {
        uri = "/v1/settings/db.pool.size?" + query; // what request.uri() holds
    }

    /** The hand-written scan, as the read path calls it: the Dispatcher's check, then the value. */
    @Benchmark
    public String handWritten() {
        if (QueryString.malformation(query) != null) {
            return null;
        }
        return QueryString.first(query, "unit");
    }

    /** Vert.x's decoding, as {@code HttpServerRequest.getParam} does it (it throws on a bad escape). */
    @Benchmark
    public String vertx() {
        MultiMap params = HttpUtils.params(uri, StandardCharsets.UTF_8, false);
        return params.get("unit");
    }
}

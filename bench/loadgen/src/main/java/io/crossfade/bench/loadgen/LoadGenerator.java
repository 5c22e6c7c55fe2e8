package io.crossfade.bench.loadgen;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Command line of the benchmark load generator.
 *
 * <pre>
 * loadgen rate  --target URL --path-template T [--units N] [--connections C] [--threads N]
 *               --rate R [--warmup S] [--duration S]
 * loadgen max   --target URL --path-template T [--units N] [--connections C] [--threads N] [--warmup S] [--duration S]
 * loadgen ready --url http://HOST:PORT/ready [--timeout S] [--log FILE] -- COMMAND ARGS...
 * </pre>
 *
 * <p>{@code --target} is {@code http://HOST:PORT} or {@code unix:/path/to.sock}. {@code --path-template}
 * is the request path with {@code {unit}} replaced by {@code u-0} … {@code u-(N-1)} in turn.
 *
 * <p>{@code rate} is open-loop: each connection sends at fixed intended times (rate / connections per
 * second) and a request's latency is measured from its intended send time, so a stall is charged to
 * every request it delayed (no coordinated omission, as in wrk2). {@code max} is closed-loop: each
 * connection sends its next request when the previous answer arrives, giving saturation throughput.
 * {@code ready} starts a process and measures the time to the first 200 on the URL, polling every
 * millisecond; the process keeps running and its pid is printed.
 *
 * <p>{@code --target} may be given several times: each target gets {@code --connections} connections
 * and, in {@code rate} mode, {@code --rate} requests per second of its own, all in the same seconds,
 * so that the targets are compared under the same conditions (a paired comparison).
 *
 * <p>Results are printed as one line of {@code name=value} pairs per target, in the order given, for
 * scripts.
 */
public final class LoadGenerator {

    private LoadGenerator() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw usage("a mode is required: rate, max or ready");
        }
        String mode = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (mode) {
            case "rate", "max" -> LoadRun.parse(mode.equals("rate"), rest).run().forEach(r -> System.out.println(r.line()));
            case "ready" -> System.out.println(ReadyTimer.parse(rest).run());
            default -> throw usage("unknown mode " + mode);
        }
        System.exit(0);
    }

    static IllegalArgumentException usage(String problem) {
        return new IllegalArgumentException(problem + "\nusage:\n"
                + "  loadgen rate  --target URL --path-template T [--units N] [--connections C] [--threads N] --rate R"
                + " [--warmup S] [--duration S]\n"
                + "  loadgen max   --target URL --path-template T [--units N] [--connections C] [--threads N]"
                + " [--warmup S] [--duration S]\n"
                + "  loadgen ready --url http://HOST:PORT/ready [--timeout S] [--log FILE] -- COMMAND ARGS...");
    }

    /** Parses {@code --name value} pairs; a value is required for every name. */
    static List<String[]> options(String[] args) {
        List<String[]> pairs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw usage("expected --name value, got " + args[i]);
            }
            pairs.add(new String[] {args[i].substring(2).toLowerCase(Locale.ROOT), args[++i]});
        }
        return pairs;
    }
}

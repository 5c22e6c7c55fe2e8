package io.crossfade.sidecar.cli;

import io.crossfade.config.Durations;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.Percent;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsException;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.guard.GuardSimulator;
import io.crossfade.sidecar.guard.Verdict;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code crossfade guard}: tools around the guard; today its simulator. */
@Command(name = "guard", mixinStandardHelpOptions = true,
        description = "Tools for choosing a guard: `crossfade guard simulate` runs the real guard on a virtual clock.",
        subcommands = GuardCommand.Simulate.class)
public final class GuardCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "choose a command: simulate");
    }

    /**
     * {@code crossfade guard simulate}: many simulated rollouts through the guard's real decision
     * code. For a scenario without a regression it prints the share of false halts with a 95 %
     * interval; otherwise how long detection took (median, p90, max) and the misses.
     */
    @Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Run the real guard on a virtual clock over many simulated rollouts.",
                    "Without a regression (new error rate at most the old one and at most maxErrorRate) it prints"
                            + " the share of false halts; otherwise how fast the guard halts."})
    static final class Simulate implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--rate", paramLabel = "REQ/S", required = true,
                description = "Requests per second, both variants together.")
        double rate;

        @Option(names = "--percent", paramLabel = "PERCENT", required = true,
                description = "Percent on the new value, e.g. 10; or a ramp of percent:hold steps, e.g. 1:10m,10:1h,50.")
        String percent;

        @Option(names = "--old-error-rate", paramLabel = "FRACTION", required = true,
                description = "The old value's error rate, e.g. 0.01 for 1 %%.")
        double oldErrorRate;

        @Option(names = "--new-error-rate", paramLabel = "FRACTION", required = true,
                description = "The new value's error rate.")
        double newErrorRate;

        @Option(names = "--hours", paramLabel = "H", defaultValue = "8",
                description = "How long each rollout runs at most (default: ${DEFAULT-VALUE}).")
        double hours;

        @Option(names = "--runs", paramLabel = "N", defaultValue = "200",
                description = "How many independent rollouts (default: ${DEFAULT-VALUE}).")
        int runs;

        @Option(names = "--guard", paramLabel = "RULE",
                description = "The guard rule as in a settings file, e.g. '{maxRatio: 2, minSamples: 100}' (default: the defaults).")
        String guard;

        @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
                description = "Seed of the random outcomes; the same seed gives the same results (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--json", description = "Print JSON instead of a table.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            GuardSpec rule = guard == null ? GuardSpec.DEFAULT : parseGuard(guard);
            GuardSimulator.Scenario scenario;
            try {
                if (!(hours > 0) || hours > 24 * 365) {
                    throw new IllegalArgumentException("--hours must be more than 0 and at most a year, got " + hours);
                }
                scenario = new GuardSimulator.Scenario(rate, GuardSimulator.phases(percent), oldErrorRate,
                        newErrorRate, Duration.ofMillis(Math.round(hours * 3_600_000)), runs, rule, seed);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            long started = System.nanoTime();
            GuardSimulator.Result result = GuardSimulator.simulate(scenario);
            double seconds = (System.nanoTime() - started) / 1e9;
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.MAPPER.writeValueAsString(report(result, seconds)));
            } else {
                print(out, result, seconds);
            }
            out.flush();
            return 0;
        }

        private GuardSpec parseGuard(String text) {
            String doc = "settings:\n  simulated: { value: 0 }\nmigrations:\n  simulated:\n    to: 1\n    guard: " + text + "\n";
            try {
                MigrationSpec m = new SettingsDirectory().parse(Map.of("--guard.yaml", doc.getBytes(StandardCharsets.UTF_8)))
                        .migrations().get("simulated");
                return m.guard();
            } catch (SettingsException e) {
                throw new ParameterException(spec.commandLine(), "--guard is not a valid guard rule: "
                        + e.getMessage().replace("--guard.yaml", "--guard"));
            }
        }

        static Map<String, Object> report(GuardSimulator.Result result, double seconds) {
            GuardSimulator.Scenario s = result.scenario();
            Map<String, Object> doc = new LinkedHashMap<>();
            Map<String, Object> scenario = new LinkedHashMap<>();
            scenario.put("rate", s.rate());
            scenario.put("percent", s.phases().stream().map(p -> Map.of("percent", Percent.toDecimal(p.percent()),
                    "hold", p.hold() == null ? "-" : Durations.format(p.hold()))).toList());
            scenario.put("oldErrorRate", s.oldErrorRate());
            scenario.put("newErrorRate", s.newErrorRate());
            scenario.put("hours", s.duration().toMillis() / 3_600_000.0);
            scenario.put("runs", s.runs());
            scenario.put("seed", s.seed());
            GuardSpec g = s.guard();
            scenario.put("guard", Map.of("maxErrorRate", g.maxErrorRate(), "maxRatio", g.maxRatio(), "minSamples",
                    g.minSamples(), "window", Durations.format(g.window()), "confidence", g.confidence(), "action",
                    g.action().wireName()));
            doc.put("scenario", scenario);
            doc.put("regression", !s.noRegression());
            doc.put("halts", result.trips());
            doc.put("haltsByCeiling", result.trips(Verdict.Kind.TRIP_CEILING));
            doc.put("haltsByRatio", result.trips(Verdict.Kind.TRIP_RATIO));
            doc.put("misses", result.misses());
            double[] ci = result.tripShareInterval();
            doc.put("haltShare", result.tripShare());
            doc.put("haltShare95", List.of(ci[0], ci[1]));
            Map<String, Object> times = new LinkedHashMap<>();
            times.put("medianSeconds", secondsOf(result.tripTimeQuantile(0.5)));
            times.put("p90Seconds", secondsOf(result.tripTimeQuantile(0.9)));
            times.put("maxSeconds", secondsOf(result.tripTimeQuantile(1.0)));
            doc.put("timeToHalt", times);
            doc.put("elapsedSeconds", Math.round(seconds * 100) / 100.0);
            return doc;
        }

        private static Double secondsOf(Duration d) {
            return d == null ? null : d.toMillis() / 1000.0;
        }

        private static void print(PrintWriter out, GuardSimulator.Result result, double seconds) {
            GuardSimulator.Scenario s = result.scenario();
            GuardSpec g = s.guard();
            out.printf(Locale.ROOT, "scenario  %s req/s, %s on new, errors old %s / new %s, %d runs of %s%n",
                    plain(s.rate()), percents(s), pct(s.oldErrorRate()), pct(s.newErrorRate()), s.runs(),
                    Durations.format(s.duration()));
            out.printf(Locale.ROOT, "guard     maxErrorRate %s, maxRatio %s, minSamples %d, window %s, confidence %s,"
                    + " action %s; looks every %dms%n", plain(g.maxErrorRate()), plain(g.maxRatio()), g.minSamples(),
                    Durations.format(g.window()), plain(g.confidence()), g.action().wireName(),
                    io.crossfade.sidecar.guard.Guard.TICK.toMillis());
            double[] ci = result.tripShareInterval();
            String share = String.format(Locale.ROOT, "%d of %d = %s (95 %% interval %s to %s)", result.trips(),
                    s.runs(), pct(result.tripShare()), pct(ci[0]), pct(ci[1]));
            if (s.noRegression()) {
                out.printf(Locale.ROOT, "verdict   no regression: every halt is a false halt%n");
                out.printf(Locale.ROOT, "false halts  %s; the promise is at most %s%n", share,
                        pct(1 - g.confidence()));
            } else {
                out.printf(Locale.ROOT, "verdict   a regression: the guard should halt%n");
                TextTable table = new TextTable("HALTED", "MEDIAN", "P90", "MAX", "MISSES", "BY CEILING", "BY RATIO");
                table.row(result.trips() + "/" + s.runs(), time(result.tripTimeQuantile(0.5)),
                        time(result.tripTimeQuantile(0.9)), time(result.tripTimeQuantile(1.0)),
                        String.valueOf(result.misses()), String.valueOf(result.trips(Verdict.Kind.TRIP_CEILING)),
                        String.valueOf(result.trips(Verdict.Kind.TRIP_RATIO)));
                table.print(out);
            }
            out.printf(Locale.ROOT, "(simulated in %.1f s)%n", seconds);
        }

        private static String percents(GuardSimulator.Scenario s) {
            if (s.phases().size() == 1) {
                return Percent.format(s.phases().get(0).percent()) + " %";
            }
            StringBuilder b = new StringBuilder();
            for (GuardSimulator.Phase p : s.phases()) {
                if (b.length() > 0) {
                    b.append(" → ");
                }
                b.append(Percent.format(p.percent())).append(" %");
                if (p.hold() != null) {
                    b.append(" for ").append(Durations.format(p.hold()));
                }
            }
            return b.toString();
        }

        private static String time(Duration d) {
            if (d == null) {
                return "never";
            }
            long ms = d.toMillis();
            return ms < 60_000 ? String.format(Locale.ROOT, "%.1fs", ms / 1000.0)
                    : Durations.format(Duration.ofSeconds(d.toSeconds()));
        }

        private static String pct(double fraction) {
            return String.format(Locale.ROOT, "%.2f %%", fraction * 100);
        }

        private static String plain(double v) {
            return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
        }
    }
}

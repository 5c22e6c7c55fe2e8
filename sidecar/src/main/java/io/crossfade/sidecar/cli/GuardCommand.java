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

        @Option(names = "--units", paramLabel = "N", defaultValue = "0",
                description = "Distinct units (users) sending the requests; 0 (default) for independent requests,"
                        + " each its own unit.")
        int units;

        @Option(names = "--bad-units", paramLabel = "SHARE:RATE",
                description = "A share of the units fails this often on either side, e.g. 0.005:0.5 (needs --units).")
        String badUnits;

        @Option(names = "--heavy-units", paramLabel = "SHARE:WEIGHT",
                description = "A share of the units sends WEIGHT times the traffic of the others, e.g. 0.01:100.")
        String heavyUnits;

        @Option(names = "--broken-units", paramLabel = "SHARE",
                description = "A share of the units for which the new value fails every request, e.g. 0.05.")
        double brokenUnits;

        @Option(names = "--retries", paramLabel = "K", defaultValue = "1",
                description = "Errors arrive in clusters of K failed requests of one unit (a failure and its retries);"
                        + " the error rate stays the same (default: ${DEFAULT-VALUE}).")
        int retries;

        @Option(names = "--storm", paramLabel = "AT:COUNT:DURATION",
                description = "One unit on the new value sends COUNT failing requests over DURATION from AT,"
                        + " e.g. 10m:500:10s (needs --units).")
        String storm;

        @Option(names = "--onset", paramLabel = "DURATION",
                description = "The new error rate applies from then on (before: the old one), e.g. 8h.")
        String onset;

        @Option(names = "--restart-every", paramLabel = "DURATION",
                description = "The sidecar restarts this often; its evidence resumes from what it stored, e.g. 10m.")
        String restartEvery;

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
                        newErrorRate, Duration.ofMillis(Math.round(hours * 3_600_000)), runs, rule, seed, traffic());
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

        private GuardSimulator.Traffic traffic() {
            double[] bad = pair("--bad-units", badUnits, 0, 0);
            double[] heavy = pair("--heavy-units", heavyUnits, 0, 1);
            Duration stormAt = null;
            long stormCount = 0;
            Duration stormLength = null;
            if (storm != null) {
                String[] parts = storm.split(":");
                if (parts.length != 3) {
                    throw new IllegalArgumentException("--storm takes AT:COUNT:DURATION, e.g. 10m:500:10s; got '" + storm + "'");
                }
                stormAt = duration("--storm", parts[0]);
                try {
                    stormCount = Long.parseLong(parts[1].strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--storm's COUNT must be a whole number, got '" + parts[1] + "'");
                }
                stormLength = duration("--storm", parts[2]);
            }
            return new GuardSimulator.Traffic(units, bad[0], bad[1], heavy[0], heavy[1], brokenUnits, retries, stormAt,
                    stormCount, stormLength, onset == null ? null : duration("--onset", onset),
                    restartEvery == null ? null : duration("--restart-every", restartEvery));
        }

        private static double[] pair(String flag, String text, double shareDefault, double valueDefault) {
            if (text == null) {
                return new double[] {shareDefault, valueDefault};
            }
            String[] parts = text.split(":");
            try {
                if (parts.length != 2) {
                    throw new NumberFormatException();
                }
                return new double[] {Double.parseDouble(parts[0].strip()), Double.parseDouble(parts[1].strip())};
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " takes SHARE:VALUE, e.g. 0.01:100; got '" + text + "'");
            }
        }

        private static Duration duration(String flag, String text) {
            try {
                return Durations.parse(text.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(flag + ": " + e.getMessage());
            }
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
            out.printf(Locale.ROOT, "traffic   %s%n", traffic(s.traffic()));
            if (s.noRegression()) {
                out.printf(Locale.ROOT, "verdict   no regression: every halt is a false halt%n");
                out.printf(Locale.ROOT, "false halts  %s; the promise is at most %s in the first day of running,"
                        + " and half that again per further day%n", share, pct(1 - g.confidence()));
            } else {
                long onset = s.traffic().onset() == null ? 0 : s.traffic().onset().toMillis();
                out.printf(Locale.ROOT, "verdict   a regression%s: the guard should halt%n", onset == 0 ? ""
                        : " from " + Durations.forPeople(s.traffic().onset()) + " on (times below are after it)");
                TextTable table = new TextTable("HALTED", "MEDIAN", "P90", "MAX", "MISSES", "BY CEILING", "BY RATIO");
                table.row(result.trips() + "/" + s.runs(), time(result.tripTimeQuantileAfter(0.5, onset)),
                        time(result.tripTimeQuantileAfter(0.9, onset)), time(result.tripTimeQuantileAfter(1.0, onset)),
                        String.valueOf(result.misses()), String.valueOf(result.trips(Verdict.Kind.TRIP_CEILING)),
                        String.valueOf(result.trips(Verdict.Kind.TRIP_RATIO)));
                table.print(out);
                if (onset > 0) {
                    out.printf(Locale.ROOT, "false halts before the onset: %d of %d%n", result.tripsBefore(onset),
                            s.runs());
                }
            }
            if (s.phases().size() > 1 && result.trips() > 0) {
                StringBuilder steps = new StringBuilder("halts by step:");
                for (int i = 0; i < s.phases().size(); i++) {
                    final int step = i;
                    long n = result.runs().stream().filter(r -> r.tripped() && r.step() == step).count();
                    steps.append(String.format(Locale.ROOT, " %d (%s %%) %d;", i + 1,
                            Percent.format(s.phases().get(i).percent()), n));
                }
                out.println(steps.substring(0, steps.length() - 1));
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
            return ms < 60_000 ? String.format(Locale.ROOT, "%.1fs", ms / 1000.0) : Durations.forPeople(d);
        }

        private static String traffic(GuardSimulator.Traffic t) {
            if (t.units() == 0) {
                return "independent requests (each its own unit), judged as aggregated counts";
            }
            StringBuilder b = new StringBuilder(t.units() + " units");
            if (t.badShare() > 0) {
                b.append(String.format(Locale.ROOT, "; %s of them fail %s", pct(t.badShare()), pct(t.badRate())));
            }
            if (t.heavyShare() > 0) {
                b.append(String.format(Locale.ROOT, "; %s send %sx the traffic", pct(t.heavyShare()),
                        plain(t.heavyWeight())));
            }
            if (t.brokenShare() > 0) {
                b.append(String.format(Locale.ROOT, "; the new value breaks %s of them", pct(t.brokenShare())));
            }
            if (t.retries() > 1) {
                b.append("; errors in clusters of ").append(t.retries());
            }
            if (t.stormAt() != null) {
                b.append(String.format(Locale.ROOT, "; a storm of %d errors from one unit on new at %s over %s",
                        t.stormCount(), Durations.forPeople(t.stormAt()), Durations.forPeople(t.stormLength())));
            }
            if (t.onset() != null) {
                b.append("; the new error rate from ").append(Durations.forPeople(t.onset()));
            }
            if (t.restartEvery() != null) {
                b.append("; a restart every ").append(Durations.forPeople(t.restartEvery()));
            }
            return b.toString();
        }

        private static String pct(double fraction) {
            return String.format(Locale.ROOT, "%.2f %%", fraction * 100);
        }

        private static String plain(double v) {
            return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
        }
    }
}

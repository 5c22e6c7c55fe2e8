package io.crossfade.sidecar;

import io.crossfade.sidecar.cli.CrossfadeCommand;
import java.util.Set;
import picocli.CommandLine;

/** Entry point of {@code crossfade}: {@code serve} (the default) and {@code ctl}. */
public final class Main {

    private static final Set<String> TOP_LEVEL = Set.of("-h", "--help", "-V", "--version");

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 failure, 2 usage error). */
    public static int run(String... args) {
        String[] effective = args;
        // `crossfade` alone, or with serve's flags only, means `crossfade serve ...`.
        if (args.length == 0 || (args[0].startsWith("-") && !TOP_LEVEL.contains(args[0]))) {
            effective = new String[args.length + 1];
            effective[0] = "serve";
            System.arraycopy(args, 0, effective, 1, args.length);
        }
        return new CommandLine(new CrossfadeCommand()).execute(effective);
    }
}

package io.crossfade.sidecar.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The top-level {@code crossfade} command; its subcommands do the work. */
@Command(name = "crossfade", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Settings sidecar: serves configuration locally and rolls changes out a percentage at a time.",
        subcommands = {ServeCommand.class, CtlCommand.class, GuardCommand.class})
public final class CrossfadeCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}

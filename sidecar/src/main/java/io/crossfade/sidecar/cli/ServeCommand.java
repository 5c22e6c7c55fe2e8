package io.crossfade.sidecar.cli;

import io.crossfade.config.SettingsException;
import io.crossfade.config.SettingsProblem;
import io.crossfade.sidecar.HostPort;
import io.crossfade.sidecar.Sidecar;
import io.crossfade.sidecar.SidecarOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code crossfade serve}: runs the sidecar until it is stopped. Every flag also reads {@code CROSSFADE_<NAME>}. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve settings from a directory and steer migrations (the default command).")
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--settings", paramLabel = "DIR", defaultValue = "${env:CROSSFADE_SETTINGS:-./examples/settings}",
            description = "Directory of *.yaml, *.yml, *.json settings files, watched for changes (default: ${DEFAULT-VALUE}).")
    Path settings;

    @Option(names = "--state", paramLabel = "DIR", defaultValue = "${env:CROSSFADE_STATE:-./.crossfade-state}",
            description = "Durable state: operator changes, audit log, last-known-good settings, admin token (default: ${DEFAULT-VALUE}).")
    Path state;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "${env:CROSSFADE_LISTEN:-127.0.0.1:7070}",
            description = "Read API address; port 0 picks a free port (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--listen-unix", paramLabel = "PATH", defaultValue = "${env:CROSSFADE_LISTEN_UNIX}",
            description = "Also serve the read API on this Unix domain socket.")
    Path listenUnix;

    @Option(names = "--ops-listen", paramLabel = "HOST:PORT", defaultValue = "${env:CROSSFADE_OPS_LISTEN:-127.0.0.1:7071}",
            description = "Health, metrics and admin API address (default: ${DEFAULT-VALUE}).")
    String opsListen;

    @Option(names = "--admin-token-file", paramLabel = "FILE", defaultValue = "${env:CROSSFADE_ADMIN_TOKEN_FILE}",
            description = "File holding the admin bearer token; default: generated into <state>/admin.token (mode 0600).")
    Path adminTokenFile;

    @Option(names = "--instance-id", paramLabel = "ID", defaultValue = "${env:CROSSFADE_INSTANCE_ID}",
            description = "The unit for reads without one; default: $HOSTNAME, else a random id kept in the state dir.")
    String instanceId;

    @Override
    public Integer call() throws Exception {
        SidecarOptions options;
        try {
            options = new SidecarOptions(settings, state, HostPort.parse(listen), listenUnix, HostPort.parse(opsListen),
                    adminTokenFile, instanceId);
        } catch (IllegalArgumentException e) {
            System.err.println("crossfade: " + e.getMessage());
            return 2;
        }
        Sidecar sidecar;
        try {
            sidecar = Sidecar.start(options);
        } catch (SettingsException e) {
            System.err.println("crossfade: the settings in " + settings + " are invalid and no last-known-good copy"
                    + " exists in " + state + ":");
            for (SettingsProblem p : e.problems()) {
                System.err.println("  - " + p.describe());
            }
            return 1;
        } catch (IOException e) {
            System.err.println("crossfade: cannot start: " + e.getMessage());
            return 1;
        }
        // SIGTERM (docker stop, Kubernetes) and SIGINT (Ctrl-C) stop gracefully and exit 0; any other
        // way the JVM ends still closes the state through the hook.
        CountDownLatch signalled = new CountDownLatch(1);
        String[] why = {"a signal"};
        Thread hook = new Thread(sidecar::close, "crossfade-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                    why[0] = "SIG" + signal.getName();
                    signalled.countDown();
                });
            } catch (IllegalArgumentException e) {
                // the JVM keeps this signal (e.g. -Xrs): the shutdown hook still closes the state
            }
        }
        signalled.await();
        sidecar.shutdown(Sidecar.SHUTDOWN_BOUND, why[0]);
        return 0;
    }
}

package io.crossfade.sidecar.cli;

import io.crossfade.sidecar.fleet.FleetOptions;
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

    @Option(names = "--store", paramLabel = "file|etcd", defaultValue = "${env:CROSSFADE_STORE:-file}",
            description = "Where migration state lives: file (the --state directory, default) or etcd (shared by a fleet).")
    String store;

    @Option(names = "--etcd-endpoints", paramLabel = "URL[,URL]", defaultValue = "${env:CROSSFADE_ETCD_ENDPOINTS}",
            description = "etcd client URLs for --store etcd, e.g. http://127.0.0.1:2379.")
    String etcdEndpoints;

    @Option(names = "--fleet", paramLabel = "NAME", defaultValue = "${env:CROSSFADE_FLEET}",
            description = "Fleet name for --store etcd: sidecars with the same name share one rollout (keys under /crossfade/NAME/).")
    String fleet;

    @Option(names = "--etcd-user", paramLabel = "NAME", defaultValue = "${env:CROSSFADE_ETCD_USER}",
            description = "etcd user, when etcd has authentication enabled.")
    String etcdUser;

    @Option(names = "--etcd-password-file", paramLabel = "FILE", defaultValue = "${env:CROSSFADE_ETCD_PASSWORD_FILE}",
            description = "File holding the etcd user's password.")
    Path etcdPasswordFile;

    @Option(names = "--etcd-ca-file", paramLabel = "FILE", defaultValue = "${env:CROSSFADE_ETCD_CA_FILE}",
            description = "PEM CA certificate that signed etcd's server certificate (https endpoints).")
    Path etcdCaFile;

    @Option(names = "--etcd-cert-file", paramLabel = "FILE", defaultValue = "${env:CROSSFADE_ETCD_CERT_FILE}",
            description = "PEM client certificate for etcd (with --etcd-key-file).")
    Path etcdCertFile;

    @Option(names = "--etcd-key-file", paramLabel = "FILE", defaultValue = "${env:CROSSFADE_ETCD_KEY_FILE}",
            description = "PEM private key of --etcd-cert-file.")
    Path etcdKeyFile;

    @Override
    public Integer call() throws Exception {
        SidecarOptions options;
        try {
            FleetOptions fleetOptions;
            switch (store == null ? "file" : store.strip()) {
                case "", "file" -> fleetOptions = null;
                case "etcd" -> fleetOptions = FleetOptions.parse(etcdEndpoints, fleet, etcdUser, etcdPasswordFile,
                        etcdCaFile, etcdCertFile, etcdKeyFile);
                default -> throw new IllegalArgumentException("--store must be file or etcd, not '" + store + "'");
            }
            options = new SidecarOptions(settings, state, HostPort.parse(listen), listenUnix, HostPort.parse(opsListen),
                    adminTokenFile, instanceId, fleetOptions);
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
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sidecar.close();
            stopped.countDown();
        }, "crossfade-shutdown"));
        stopped.await();
        return 0;
    }
}

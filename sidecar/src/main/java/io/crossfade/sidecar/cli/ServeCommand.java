package io.crossfade.sidecar.cli;

import io.crossfade.sidecar.fleet.FleetOptions;
import io.crossfade.config.SettingsException;
import io.crossfade.config.SettingsProblem;
import io.crossfade.config.Durations;
import io.crossfade.sidecar.HostPort;
import io.crossfade.sidecar.ResilienceOptions;
import io.crossfade.sidecar.Sidecar;
import io.crossfade.sidecar.NetworkTransport;
import io.crossfade.sidecar.SidecarOptions;
import io.crossfade.sidecar.notify.NotifyOptions;
import io.crossfade.sidecar.proxy.ProxyOptions;
import java.io.IOException;
import io.crossfade.sidecar.http.ListenerLimits;
import io.crossfade.sidecar.source.RemovalLimit;
import io.crossfade.sidecar.state.AuditRetention;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

    @Option(names = "--proxy-listen", paramLabel = "HOST:PORT", defaultValue = "${env:CROSSFADE_PROXY_LISTEN}",
            description = "Proxy mode: listen here and forward every request to --upstream, adding the settings "
                    + "as headers and reporting outcomes to the guard.")
    String proxyListen;

    @Option(names = "--upstream", paramLabel = "URL", defaultValue = "${env:CROSSFADE_UPSTREAM}",
            description = "Proxy mode: the service to forward to, e.g. http://127.0.0.1:8000.")
    String upstream;

    @Option(names = "--unit-header", paramLabel = "NAME", defaultValue = "${env:CROSSFADE_UNIT_HEADER:-X-User-Id}",
            description = "Proxy mode: request header naming the unit (default: ${DEFAULT-VALUE}).")
    String unitHeader;

    @Option(names = "--unit-cookie", paramLabel = "NAME", defaultValue = "${env:CROSSFADE_UNIT_COOKIE}",
            description = "Proxy mode: cookie naming the unit when the header is absent.")
    String unitCookie;

    @Option(names = "--inject", paramLabel = "PATTERN[,PATTERN]", defaultValue = "${env:CROSSFADE_INJECT}",
            description = "Proxy mode: keys to send in X-Crossfade-Settings; * matches any run of characters "
                    + "(e.g. checkout.*). Default: none.")
    String inject;

    @Option(names = "--error-status", paramLabel = "LIST", defaultValue = "${env:CROSSFADE_ERROR_STATUS:-5xx}",
            description = "Proxy mode: upstream statuses that are errors for the guard, e.g. 5xx,429 "
                    + "(default: ${DEFAULT-VALUE}).")
    String errorStatus;

    @Option(names = "--upstream-timeout", paramLabel = "DURATION", defaultValue = "${env:CROSSFADE_UPSTREAM_TIMEOUT:-30s}",
            description = "Proxy mode: longest wait for the upstream's response headers and for each gap in its "
                    + "body (default: ${DEFAULT-VALUE}).")
    String upstreamTimeout;

    @Option(names = "--max-removal", paramLabel = "PERCENT", defaultValue = "${env:CROSSFADE_MAX_REMOVAL:-50%}",
            description = "Refuse a reload that removes more than this share of the served settings, unless"
                    + " `ctl reload --accept-removals` confirms it; one that removes every setting is always refused"
                    + " (default: ${DEFAULT-VALUE}).")
    String maxRemoval;

    @Option(names = "--retain-retired", paramLabel = "DURATION",
            defaultValue = "${env:CROSSFADE_RETAIN_RETIRED:-7d}",
            description = "Keep a retired migration's state this long, so that it resumes where it was left if its"
                    + " file comes back; 0 keeps none (default: ${DEFAULT-VALUE}).")
    String retainRetired;

    @Option(names = "--audit-retention", paramLabel = "AGE,SIZE",
            defaultValue = "${env:CROSSFADE_AUDIT_RETENTION:-90d,256MiB}",
            description = "Delete audit log segments older than AGE and the oldest beyond SIZE in all; what recovery"
                    + " needs is always kept; 0d or 0b lifts a limit (default: ${DEFAULT-VALUE}).")
    String auditRetention;

    @Option(names = "--allowed-hosts", paramLabel = "NAME[,NAME...]", split = ",",
            defaultValue = "${env:CROSSFADE_ALLOWED_HOSTS}",
            description = "Host names the listeners answer besides localhost, IP addresses and the bound host (against"
                    + " DNS rebinding); '*' accepts any Host and Origin.")
    List<String> allowedHosts;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "${env:CROSSFADE_IDLE_TIMEOUT:-120s}",
            description = "Close a connection idle this long, on the read and ops listeners and the Unix socket; the"
                    + " proxy listener has deadlines of its own (default: ${DEFAULT-VALUE}).")
    String idleTimeout;

    @Option(names = "--request-timeout", paramLabel = "DURATION",
            defaultValue = "${env:CROSSFADE_REQUEST_TIMEOUT:-10s}",
            description = "A request body must arrive within this of its head; otherwise 408 and close"
                    + " (default: ${DEFAULT-VALUE}).")
    String requestTimeout;

    @Option(names = "--header-timeout", paramLabel = "DURATION",
            defaultValue = "${env:CROSSFADE_HEADER_TIMEOUT:-10s}",
            description = "A new connection must complete its first request head within this; otherwise it is"
                    + " closed (default: ${DEFAULT-VALUE}).")
    String headerTimeout;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "${env:CROSSFADE_MAX_CONNECTIONS:-1000}",
            description = "Open connections per listener, the proxy's included, that have sent a request; the first"
                    + " request of one more is answered 503 and its connection closed (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--transport", paramLabel = "auto|io_uring|epoll|nio", defaultValue = "${env:CROSSFADE_TRANSPORT:-auto}",
            description = "Network transport of the event loops: auto (default) takes io_uring where the kernel and"
                    + " container allow it, else epoll, else NIO; a named one that is not available stops the start.")
    String transport;

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

    @Option(names = "--notify-url", paramLabel = "URL", defaultValue = "${env:CROSSFADE_NOTIFY_URL}",
            description = "Post every state change of a migration (guard halt or rollback, operator change, ramp step,"
                    + " completion, store reset) to this webhook; repeatable (the variable takes URLs separated by commas).")
    List<String> notifyUrl;

    @Option(names = "--notify-format", paramLabel = "json|slack", defaultValue = "${env:CROSSFADE_NOTIFY_FORMAT:-json}",
            description = "Body of the notifications: json (the audit event and a text) or slack ({\"text\": ...})"
                    + " (default: ${DEFAULT-VALUE}).")
    String notifyFormat;

    @Option(names = "--notify-secret-file", paramLabel = "FILE", defaultValue = "${env:CROSSFADE_NOTIFY_SECRET_FILE}",
            description = "Sign each notification with HMAC-SHA256 of its body keyed with this file's content, in"
                    + " X-Crossfade-Signature: sha256=<hex>.")
    Path notifySecretFile;

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
            ResilienceOptions resilience = new ResilienceOptions(RemovalLimit.parse(maxRemoval),
                    allowedHosts == null ? List.of() : allowedHosts,
                    new ListenerLimits(duration("--idle-timeout", idleTimeout), duration("--request-timeout", requestTimeout),
                            maxConnections, duration("--header-timeout", headerTimeout)),
                    "0".equals(retainRetired == null ? null : retainRetired.strip()) ? Duration.ZERO
                            : duration("--retain-retired", retainRetired),
                    AuditRetention.parse(auditRetention));
            options = new SidecarOptions(settings, state, HostPort.parse(listen), listenUnix, HostPort.parse(opsListen),
                    adminTokenFile, instanceId, fleetOptions, resilience, ProxyOptions.fromFlags(proxyListen,
                            upstream, unitHeader, unitCookie, inject, errorStatus, upstreamTimeout),
                    NetworkTransport.parse(transport), NotifyOptions.fromFlags(notifyUrl, notifyFormat, notifySecretFile));
        } catch (IllegalArgumentException e) {
            System.err.println("crossfade: " + e.getMessage());
            return 2;
        }
        // SIGTERM (docker stop, Kubernetes) and SIGINT (Ctrl-C) stop gracefully and exit 0, also when
        // they arrive while the sidecar is still starting (it finishes starting, then stops); any other
        // way the JVM ends still closes the state through the shutdown hook.
        CountDownLatch signalled = new CountDownLatch(1);
        String[] why = {"a signal"};
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
        Runtime.getRuntime().addShutdownHook(new Thread(sidecar::close, "crossfade-shutdown"));
        signalled.await();
        sidecar.shutdown(Sidecar.SHUTDOWN_BOUND, why[0]);
        return 0;
    }

    /** A duration flag such as {@code 10s}, {@code 500ms}, {@code 2m}. */
    static Duration duration(String flag, String text) {
        // Retentions are counted in days; settings files' durations (guard windows, holds) are not.
        if (text != null && text.strip().matches("[0-9]{1,6}d")) {
            return Duration.ofDays(Long.parseLong(text.strip().substring(0, text.strip().length() - 1)));
        }
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + " takes a duration such as 10s, 500ms or 2m, found '" + text + "'");
        }
    }

}

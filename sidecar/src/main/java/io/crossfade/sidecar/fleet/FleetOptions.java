package io.crossfade.sidecar.fleet;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How a sidecar joins a fleet: the etcd cluster that holds the fleet's state, and the fleet's name.
 * Immutable; {@link #parse} validates what the flags give and says what is wrong.
 *
 * @param endpoints etcd client URLs ({@code http://host:port} or {@code https://…}), tried in order
 * @param fleet the fleet's name; its keys live under {@code /crossfade/<fleet>/}
 * @param user etcd user name, or null when etcd has no authentication
 * @param passwordFile file holding that user's password, or null
 * @param caFile PEM file of the CA that signed etcd's certificate, or null for the JVM's trust store
 * @param certFile PEM client certificate for etcd's client-certificate authentication, or null
 * @param keyFile PEM private key of {@code certFile}, or null
 * @param timeout how long one call to etcd may take before an operator change is refused (at most 5 s)
 */
public record FleetOptions(List<URI> endpoints, String fleet, String user, Path passwordFile, Path caFile,
        Path certFile, Path keyFile, Duration timeout) {

    /** Fleet names: what Kubernetes allows in a label value, so the app's label can be used as it is. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?");

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);

    public FleetOptions {
        endpoints = List.copyOf(endpoints);
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(timeout, "timeout");
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("--store etcd needs --etcd-endpoints (e.g. http://127.0.0.1:2379)");
        }
    }

    /** The prefix of every key of this fleet, {@code /crossfade/<fleet>/}. */
    public String prefix() {
        return "/crossfade/" + fleet + "/";
    }

    /**
     * Validates the flags' values.
     *
     * @throws IllegalArgumentException with a sentence naming the flag and what was expected
     */
    public static FleetOptions parse(String endpoints, String fleet, String user, Path passwordFile, Path caFile,
            Path certFile, Path keyFile) {
        if (endpoints == null || endpoints.isBlank()) {
            throw new IllegalArgumentException("--store etcd needs --etcd-endpoints URL[,URL] (or CROSSFADE_ETCD_ENDPOINTS),"
                    + " e.g. http://127.0.0.1:2379");
        }
        List<URI> uris = new ArrayList<>();
        for (String part : endpoints.split(",")) {
            String text = part.strip();
            if (text.isEmpty()) {
                continue;
            }
            URI uri;
            try {
                uri = URI.create(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--etcd-endpoints: '" + text + "' is not a URL");
            }
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException("--etcd-endpoints: '" + text
                        + "' must be http://HOST:PORT or https://HOST:PORT");
            }
            uris.add(uri);
        }
        if (fleet == null || fleet.isBlank()) {
            throw new IllegalArgumentException("--store etcd needs --fleet NAME (or CROSSFADE_FLEET): the sidecars"
                    + " of one service share one name, e.g. the app's label");
        }
        if (!NAME.matcher(fleet).matches()) {
            throw new IllegalArgumentException("--fleet: '" + fleet + "' is not a valid name: use letters, digits,"
                    + " '.', '_' and '-', at most 63, starting and ending with a letter or digit");
        }
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("--etcd-cert-file and --etcd-key-file go together: give both or neither");
        }
        if (passwordFile != null && user == null) {
            throw new IllegalArgumentException("--etcd-password-file needs --etcd-user");
        }
        return new FleetOptions(uris, fleet, user, passwordFile, caFile, certFile, keyFile, DEFAULT_TIMEOUT);
    }
}

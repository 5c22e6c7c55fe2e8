package io.crossfade.sidecar.http;

import io.crossfade.config.InputText;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which {@code Host} and {@code Origin} a TCP listener answers, against DNS rebinding and web pages
 * in a browser on the same machine. Immutable and thread-safe; checked on the event loop, before any
 * endpoint sees the request.
 *
 * <ul>
 *   <li>{@code Host}: the loopback names ({@code localhost}, {@code *.localhost}), any IP address
 *       literal (a rebinding attack needs a name that resolves to us; an IP literal is what probes,
 *       Prometheus and pod-network callers send), the bound host, and the names given with
 *       {@code --allowed-hosts}. Anything else is 421. A request without {@code Host} (HTTP/1.0) passes.</li>
 *   <li>{@code Origin}, when present: the request's own origin (same host and port as its
 *       {@code Host}), a loopback origin, or an {@code --allowed-hosts} name. Anything else, including
 *       {@code null}, is 403: a page on another site may not read settings, report outcomes or call
 *       the admin API through a user's browser.</li>
 * </ul>
 * {@code --allowed-hosts *} turns both checks off.
 */
public final class HostCheck {

    /** Accepts everything: for listeners no browser can reach (a Unix socket). */
    public static final HostCheck OFF = new HostCheck(Set.of("*"));

    private final Set<String> allowed;
    private final boolean any;

    private HostCheck(Set<String> allowed) {
        this.allowed = Set.copyOf(allowed);
        this.any = allowed.contains("*");
    }

    /**
     * The check of a listener bound to {@code boundHost}, also accepting {@code allowedHosts}
     * ({@code *} accepts any).
     */
    public static HostCheck of(String boundHost, List<String> allowedHosts) {
        Set<String> names = new TreeSet<>();
        names.add("localhost");
        if (boundHost != null && !boundHost.isBlank()) {
            names.add(normalise(boundHost));
        }
        for (String h : allowedHosts) {
            if (!h.isBlank()) {
                names.add(normalise(h));
            }
        }
        return new HostCheck(names);
    }

    /** The names accepted besides IP literals and loopback names. */
    public Set<String> allowedNames() {
        return allowed;
    }

    /**
     * Answers and returns false when the request's Host or Origin is not allowed; true otherwise
     * (the request goes on).
     */
    public boolean admit(HttpServerRequest request) {
        if (any) {
            return true;
        }
        HostAndPort authority = request.authority();
        if (authority != null && !hostAllowed(authority.host())) {
            HttpResponses.error(request, ErrorCode.MISDIRECTED_REQUEST, "this sidecar does not answer for host '"
                    + abbreviate(authority.host()) + "'; use 127.0.0.1 or localhost, or start it with --allowed-hosts"
                    + " NAME to accept that name");
            return false;
        }
        String origin = request.getHeader(HttpHeaders.ORIGIN);
        if (origin != null && !originAllowed(origin, authority)) {
            HttpResponses.error(request, ErrorCode.FORBIDDEN, "requests from web pages at '" + abbreviate(origin)
                    + "' are refused; only this sidecar's own origin, loopback origins and --allowed-hosts may call it");
            return false;
        }
        return true;
    }

    boolean hostAllowed(String host) {
        String h = normalise(host);
        return isLoopbackName(h) || isIpLiteral(h) || allowed.contains(h);
    }

    boolean originAllowed(String origin, HostAndPort authority) {
        URI uri;
        try {
            uri = new URI(origin.strip());
        } catch (Exception e) {
            return false; // includes "null"
        }
        if (uri.getHost() == null || uri.getScheme() == null) {
            return false;
        }
        String host = normalise(uri.getHost());
        if (isLoopbackName(host) || host.equals("127.0.0.1") || host.equals("::1") || allowed.contains(host)) {
            return true;
        }
        if (authority == null) {
            return false;
        }
        int originPort = uri.getPort() >= 0 ? uri.getPort() : ("https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80);
        int hostPort = authority.port() >= 0 ? authority.port() : 80;
        return host.equals(normalise(authority.host())) && originPort == hostPort;
    }

    private static boolean isLoopbackName(String h) {
        return h.equals("localhost") || h.endsWith(".localhost");
    }

    /** IPv4 dotted quad or an IPv6 literal; never a name, so never resolved. */
    static boolean isIpLiteral(String h) {
        if (h.indexOf(':') >= 0) {
            return h.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
        }
        String[] parts = h.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    private static String normalise(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static String abbreviate(String s) {
        return InputText.abbreviate(s, 80);
    }
}

package io.crossfade.sidecar.proxy;

import io.crossfade.config.Durations;
import io.crossfade.sidecar.HostPort;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How the proxy listener runs, as the {@code serve} flags give it.
 *
 * @param listen where clients connect ({@code --proxy-listen})
 * @param upstream the service, {@code http://HOST:PORT[/prefix]} ({@code --upstream})
 * @param unitHeader request header that names the unit ({@code --unit-header}, default {@code X-User-Id})
 * @param unitCookie cookie that names the unit when the header is absent ({@code --unit-cookie}), or null
 * @param inject keys copied into {@code X-Crossfade-Settings} ({@code --inject})
 * @param errorStatuses upstream statuses that are errors for the guard ({@code --error-status})
 * @param upstreamTimeout longest wait for the upstream's response headers, and for each gap in its
 *     body while the client is ready for more ({@code --upstream-timeout}, default 30 s)
 */
public record ProxyOptions(HostPort listen, URI upstream, String unitHeader, String unitCookie, InjectPatterns inject,
        ErrorStatuses errorStatuses, Duration upstreamTimeout) {

    /** {@code --unit-header}'s default. */
    public static final String DEFAULT_UNIT_HEADER = "X-User-Id";

    /** {@code --upstream-timeout}'s default. */
    public static final Duration DEFAULT_UPSTREAM_TIMEOUT = Duration.ofSeconds(30);

    public ProxyOptions {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(unitHeader, "unitHeader");
        Objects.requireNonNull(inject, "inject");
        Objects.requireNonNull(errorStatuses, "errorStatuses");
        Objects.requireNonNull(upstreamTimeout, "upstreamTimeout");
        if (upstreamTimeout.isNegative() || upstreamTimeout.isZero()) {
            throw new IllegalArgumentException("--upstream-timeout must be positive, got " + upstreamTimeout);
        }
    }

    /**
     * Builds the options from the flags' text.
     *
     * @return null when {@code listen} is absent (no proxy)
     * @throws IllegalArgumentException with a sentence naming the flag at fault
     */
    public static ProxyOptions fromFlags(String listen, String upstream, String unitHeader, String unitCookie,
            String inject, String errorStatus, String upstreamTimeout) {
        if (listen == null || listen.isBlank()) {
            if (upstream != null && !upstream.isBlank()) {
                throw new IllegalArgumentException("--upstream needs --proxy-listen HOST:PORT, where the proxy listens");
            }
            return null;
        }
        HostPort address;
        try {
            address = HostPort.parse(listen);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--proxy-listen: " + e.getMessage());
        }
        if (upstream == null || upstream.isBlank()) {
            throw new IllegalArgumentException("--proxy-listen needs --upstream URL, the service to forward to, "
                    + "e.g. http://127.0.0.1:8000");
        }
        String header = unitHeader == null || unitHeader.isBlank() ? DEFAULT_UNIT_HEADER : unitHeader.trim();
        if (!header.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
            throw new IllegalArgumentException("--unit-header '" + unitHeader + "' is not an HTTP header name");
        }
        String cookie = unitCookie == null || unitCookie.isBlank() ? null : unitCookie.trim();
        if (cookie != null && !cookie.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
            throw new IllegalArgumentException("--unit-cookie '" + unitCookie + "' is not a cookie name");
        }
        Duration timeout;
        try {
            timeout = upstreamTimeout == null || upstreamTimeout.isBlank() ? DEFAULT_UPSTREAM_TIMEOUT
                    : Durations.parse(upstreamTimeout.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--upstream-timeout '" + upstreamTimeout + "' is not a duration such as "
                    + "30s, 500ms or 2m");
        }
        return new ProxyOptions(address, parseUpstream(upstream.trim()), header, cookie, InjectPatterns.parse(inject),
                ErrorStatuses.parse(errorStatus == null ? ErrorStatuses.DEFAULT : errorStatus), timeout);
    }

    static URI parseUpstream(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--upstream '" + text + "' is not a URL: " + e.getReason());
        }
        if (uri.getScheme() == null || !uri.getScheme().toLowerCase(Locale.ROOT).equals("http")) {
            throw new IllegalArgumentException("--upstream '" + text + "' must be an http:// URL such as "
                    + "http://127.0.0.1:8000 (the service beside the sidecar; https is not supported)");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("--upstream '" + text + "' has no host; e.g. http://127.0.0.1:8000");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("--upstream '" + text + "' must not have a query or fragment");
        }
        return uri;
    }

    /** The upstream's port, 80 when the URL has none. */
    public int upstreamPort() {
        return upstream.getPort() < 0 ? 80 : upstream.getPort();
    }

    /** The upstream URL's path without a trailing slash, {@code ""} for none; prefixed to every forwarded path. */
    public String upstreamPathPrefix() {
        String path = upstream.getRawPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            return "";
        }
        return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}

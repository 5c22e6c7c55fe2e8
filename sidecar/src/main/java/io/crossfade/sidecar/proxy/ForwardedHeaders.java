package io.crossfade.sidecar.proxy;

import io.vertx.core.MultiMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which headers cross the proxy, per RFC 9110 §7.6.1: the hop-by-hop fields ({@code Connection},
 * {@code Keep-Alive}, {@code Proxy-Connection}, {@code TE}, {@code Transfer-Encoding},
 * {@code Upgrade}, {@code Trailer}, {@code Proxy-Authenticate}, {@code Proxy-Authorization}) and every
 * field the message's own {@code Connection} header names are dropped, since they describe one
 * connection, not the message; on requests the proxy's own {@code X-Crossfade-Settings} and
 * {@code X-Crossfade-Variants} are dropped as well, so that no client can spoof them. Pure.
 */
final class ForwardedHeaders {

    /** The settings header the proxy adds. */
    static final String SETTINGS = "X-Crossfade-Settings";
    /** The variants header the proxy adds. */
    static final String VARIANTS = "X-Crossfade-Variants";

    private ForwardedHeaders() {
    }

    /**
     * Copies {@code from} into {@code to} without hop-by-hop fields (and, for requests, without the
     * proxy's own); {@code Host} is left to the caller.
     */
    static void copy(MultiMap from, MultiMap to, boolean request) {
        Set<String> named = connectionTokens(from);
        for (Map.Entry<String, String> header : from) {
            String name = header.getKey();
            if (isHopByHop(name) || (request && (isOurs(name) || name.equalsIgnoreCase("host")))
                    || (named != null && named.contains(name.toLowerCase(Locale.ROOT)))) {
                continue;
            }
            to.add(name, header.getValue());
        }
    }

    /**
     * True for the fixed hop-by-hop fields, in any case. Compared in place rather than lower-cased
     * into a set: this runs for every header of every request and response.
     */
    static boolean isHopByHop(String name) {
        return switch (name.length()) {
            case 2 -> name.equalsIgnoreCase("te");
            case 7 -> name.equalsIgnoreCase("upgrade") || name.equalsIgnoreCase("trailer");
            case 10 -> name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("keep-alive");
            case 16 -> name.equalsIgnoreCase("proxy-connection");
            case 17 -> name.equalsIgnoreCase("transfer-encoding");
            case 18 -> name.equalsIgnoreCase("proxy-authenticate");
            case 19 -> name.equalsIgnoreCase("proxy-authorization");
            default -> false;
        };
    }

    private static boolean isOurs(String name) {
        return name.length() == 20 && (name.equalsIgnoreCase(SETTINGS) || name.equalsIgnoreCase(VARIANTS));
    }

    /** The lower-cased field names listed in {@code Connection}, or null when it lists none. */
    private static Set<String> connectionTokens(MultiMap headers) {
        if (!headers.contains("connection")) {
            return null;
        }
        java.util.List<String> values = headers.getAll("connection");
        java.util.HashSet<String> names = new java.util.HashSet<>();
        for (String value : values) {
            for (String token : value.split(",")) {
                String t = token.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty() && !t.equals("close") && !t.equals("keep-alive")) {
                    names.add(t);
                }
            }
        }
        return names.isEmpty() ? null : names;
    }

    /** True when {@code Connection} lists {@code close} among its tokens (HTTP/1.1's end of a kept-alive connection). */
    static boolean asksToClose(MultiMap headers) {
        if (!headers.contains("connection")) {
            return false;
        }
        for (String value : headers.getAll("connection")) {
            for (String token : value.split(",")) {
                if (token.trim().equalsIgnoreCase("close")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** True for a request that asks to switch to WebSocket ({@code Connection: upgrade}, {@code Upgrade: websocket}). */
    static boolean isWebSocketUpgrade(MultiMap headers) {
        String upgrade = headers.get("upgrade");
        if (upgrade == null || !upgrade.trim().equalsIgnoreCase("websocket")) {
            return false;
        }
        for (String value : headers.getAll("connection")) {
            for (String token : value.split(",")) {
                if (token.trim().equalsIgnoreCase("upgrade")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Adds {@code X-Forwarded-For} (the client's address appended to what earlier proxies wrote),
     * {@code X-Forwarded-Proto} and {@code X-Forwarded-Host} (kept when an earlier proxy set them, else
     * this hop's scheme and {@code Host}), and {@code Via} as RFC 9110 §7.6.3 asks of a gateway.
     */
    static void addForwarding(MultiMap out, MultiMap in, String clientAddress, String host) {
        String forwardedFor = in.get("x-forwarded-for");
        out.set("X-Forwarded-For", forwardedFor == null || forwardedFor.isBlank() ? clientAddress
                : forwardedFor + ", " + clientAddress);
        if (in.get("x-forwarded-proto") == null) {
            out.set("X-Forwarded-Proto", "http");
        }
        if (in.get("x-forwarded-host") == null && host != null) {
            out.set("X-Forwarded-Host", host);
        }
        String via = in.get("via");
        out.set("Via", via == null || via.isBlank() ? "1.1 crossfade" : via + ", 1.1 crossfade");
    }
}

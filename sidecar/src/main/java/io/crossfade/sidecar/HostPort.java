package io.crossfade.sidecar;

/**
 * A TCP listen address, {@code HOST:PORT}; port 0 picks a free port.
 *
 * @param host host name or IP literal (IPv6 in brackets in the text form)
 * @param port 0-65535
 */
public record HostPort(String host, int port) {

    /**
     * Parses {@code HOST:PORT}, {@code [IPv6]:PORT} or {@code :PORT} (all interfaces).
     *
     * @throws IllegalArgumentException naming the expected form
     */
    public static HostPort parse(String text) {
        String t = text == null ? "" : text.trim();
        int colon = t.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected HOST:PORT such as 127.0.0.1:7070, got '" + text + "'");
        }
        String host = t.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            host = "0.0.0.0";
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected HOST:PORT with a numeric port, got '" + text + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535, got " + port);
        }
        return new HostPort(host, port);
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}

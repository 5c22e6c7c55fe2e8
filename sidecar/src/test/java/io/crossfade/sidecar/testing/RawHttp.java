package io.crossfade.sidecar.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 on a bare socket, for requests no well-behaved client will send (malformed lines, raw
 * non-ASCII bytes, lying lengths). Writes the bytes, closes the sending side, and reads whatever
 * comes back until the server closes or a timeout passes.
 */
public final class RawHttp {

    /**
     * What came back.
     *
     * @param status the status code, or -1 when no status line came back (connection closed or timed out)
     * @param headers header names in lower case
     * @param body the bytes after the header block, as UTF-8 text
     */
    public record Answer(int status, Map<String, String> headers, String body, String raw) {
    }

    private RawHttp() {
    }

    /** Sends {@code request} verbatim to {@code base}'s host and port; waits up to {@code timeoutMillis} for the answer. */
    public static Answer exchange(URI base, byte[] request, int timeoutMillis) {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(timeoutMillis);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
                socket.shutdownOutput();
            } catch (IOException e) {
                // the server may close early (e.g. after a 414); read what it said
            }
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    received.write(buf, 0, n);
                }
            } catch (SocketTimeoutException | java.net.SocketException e) {
                // keep what arrived
            }
            return parse(received.toString(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Sends {@code request} and keeps the connection open for writing (no half-close), as a client
     * that stalls mid-request does; reads until the server closes or {@code timeoutMillis} pass.
     */
    public static Answer exchangeHeld(URI base, byte[] request, int timeoutMillis) {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(timeoutMillis);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    received.write(buf, 0, n);
                }
            } catch (SocketTimeoutException | java.net.SocketException e) {
                // keep what arrived
            }
            return parse(received.toString(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends {@code request} (ASCII and ISO-8859-1 characters as single bytes). */
    public static Answer exchange(URI base, String request, int timeoutMillis) {
        return exchange(base, request.getBytes(StandardCharsets.ISO_8859_1), timeoutMillis);
    }

    /** Parses a raw answer as {@link #exchange} does. */
    public static Answer parse(String raw) {
        if (!raw.startsWith("HTTP/")) {
            return new Answer(-1, Map.of(), "", raw);
        }
        int lineEnd = raw.indexOf("\r\n");
        int headerEnd = raw.indexOf("\r\n\r\n");
        if (lineEnd < 0) {
            return new Answer(-1, Map.of(), "", raw);
        }
        String[] statusLine = raw.substring(0, lineEnd).split(" ", 3);
        int status = statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : -1;
        Map<String, String> headers = new LinkedHashMap<>();
        String body = "";
        if (headerEnd > lineEnd) {
            for (String line : raw.substring(lineEnd + 2, headerEnd).split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
                }
            }
            String rest = raw.substring(headerEnd + 4);
            String length = headers.get("content-length");
            if (length != null) {
                int n = Integer.parseInt(length);
                rest = rest.substring(0, Math.min(n, rest.length()));
            }
            body = new String(rest.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        }
        return new Answer(status, headers, body, raw);
    }
}

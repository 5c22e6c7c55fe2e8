package io.crossfade.sidecar.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * Reads one setting over HTTP for many units quickly: requests are pipelined on one HTTP/1.1
 * connection (written by one thread while this one reads the answers), so 100 000 real reads take
 * a second or two rather than a minute. Each answer's {@code X-Crossfade-Variant} header is kept.
 */
public final class VariantSweep {

    // Requests in flight at once. The sidecar's HTTP server resets a connection that receives about
    // 30 KB of pipelined requests in one go, so the window stays well below that (~8 KB).
    private static final int PIPELINE_DEPTH = 128;

    private VariantSweep() {
    }

    /**
     * {@code GET /v1/settings/{key}/value?unit=U} for every unit, in order.
     *
     * @return the variant ({@code old}, {@code new} or {@code static}) each unit read, in unit order
     * @throws IllegalStateException when an answer is not 200
     */
    public static String[] variants(URI readUri, String key, List<String> units) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(readUri.getHost(), readUri.getPort()), 5000);
            socket.setSoTimeout(30_000);
            socket.setTcpNoDelay(true);
            String host = readUri.getHost() + ":" + readUri.getPort();
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            Semaphore window = new Semaphore(PIPELINE_DEPTH);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (String unit : units) {
                        if (!window.tryAcquire()) {
                            out.flush();
                            window.acquire();
                        }
                        out.write(("GET /v1/settings/" + key + "/value?unit=" + unit + " HTTP/1.1\r\nHost: " + host
                                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    }
                    out.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            });
            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            String[] variants = new String[units.size()];
            for (int i = 0; i < variants.length; i++) {
                variants[i] = readAnswer(in, units.get(i));
                window.release();
            }
            writer.join();
            return variants;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readAnswer(InputStream in, String unit) throws IOException {
        String status = line(in);
        if (!status.startsWith("HTTP/1.1 200")) {
            throw new IllegalStateException("unit " + unit + ": " + status);
        }
        String variant = null;
        int length = -1;
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            int colon = header.indexOf(':');
            String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = header.substring(colon + 1).trim();
            if (name.equals("x-crossfade-variant")) {
                variant = value;
            } else if (name.equals("content-length")) {
                length = Integer.parseInt(value);
            }
        }
        if (length < 0 || variant == null) {
            throw new IllegalStateException("unit " + unit + ": answer without content-length or variant");
        }
        in.readNBytes(length);
        return variant;
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(64);
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("connection closed mid-answer");
            }
            if (b != '\r') {
                buf.write(b);
            }
        }
        return buf.toString(StandardCharsets.US_ASCII);
    }
}

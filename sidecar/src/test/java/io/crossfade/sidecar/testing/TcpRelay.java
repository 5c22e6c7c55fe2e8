package io.crossfade.sidecar.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A plain TCP relay on a loopback port to one upstream address (say an etcd member), that a test can
 * {@link #cut} — every relayed connection closed, no new one accepted, as a network partition looks
 * to the client — and {@link #restore} on the same port. The client is pointed at {@link #endpoint()}
 * and never knows. Threads: one accepting, two per relayed connection, all daemons.
 */
public final class TcpRelay implements AutoCloseable {

    private final InetSocketAddress upstream;
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicReference<String> dropAfter = new AtomicReference<>();
    private final AtomicInteger dropped = new AtomicInteger();
    private ServerSocket server; // guarded by this; null while cut

    private TcpRelay(InetSocketAddress upstream) throws IOException {
        this.upstream = upstream;
        this.server = listen(0);
        this.port = server.getLocalPort();
        accept(server);
    }

    /** Starts relaying a free loopback port to {@code upstream}'s host and port (e.g. {@code http://127.0.0.1:2379}). */
    public static TcpRelay to(String upstream) throws IOException {
        URI uri = URI.create(upstream);
        return new TcpRelay(new InetSocketAddress(uri.getHost(), uri.getPort()));
    }

    /** {@code http://127.0.0.1:<port>}: what the client is given instead of the upstream's address. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** How many connections were relayed so far. */
    public int accepted() {
        return accepted.get();
    }

    /** How many connections {@link #dropAfterLineContaining} closed so far. */
    public int dropped() {
        return dropped.get();
    }

    /** Stops accepting and closes every relayed connection, both ends. */
    public synchronized void cut() {
        if (server != null) {
            closeQuietly(server);
            server = null;
        }
        // After the listener is closed: a connection accepted meanwhile sees it closed and goes itself.
        open.forEach(TcpRelay::closeQuietly);
    }

    /** Accepts and relays again, on the same port. */
    public synchronized void restore() throws IOException {
        if (server == null) {
            server = listen(port);
            accept(server);
        }
    }

    /**
     * The next connection on which the upstream sends {@code marker} is closed, both ends, right after
     * the line that holds it has been relayed; the client sees that line and then its connection break.
     * Once.
     */
    public void dropAfterLineContaining(String marker) {
        dropAfter.set(marker);
    }

    @Override
    public void close() {
        cut();
    }

    private static ServerSocket listen(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        // The port's old connections linger in TIME_WAIT after a cut: bind anyway.
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        return s;
    }

    private void accept(ServerSocket listener) {
        daemon("relay-accept-" + port, () -> {
            while (!listener.isClosed()) {
                Socket client;
                try {
                    client = listener.accept();
                } catch (IOException e) {
                    return; // cut or closed
                }
                Socket up = new Socket();
                open.add(client);
                open.add(up);
                try {
                    up.connect(upstream, 5000);
                } catch (IOException e) {
                    closeBoth(client, up);
                    continue;
                }
                if (listener.isClosed()) {
                    closeBoth(client, up); // cut while this one was being accepted
                    return;
                }
                accepted.incrementAndGet();
                daemon("relay-up-" + port, () -> pump(client, up, false));
                daemon("relay-down-" + port, () -> pump(up, client, true));
            }
        });
    }

    /** Copies {@code from} to {@code to} until either ends; then closes both. */
    private void pump(Socket from, Socket to, boolean downstream) {
        byte[] buffer = new byte[16 * 1024];
        String carry = "";
        boolean dropAtNewline = false;
        try (InputStream in = from.getInputStream()) {
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (downstream && (dropAtNewline || dropAfter.get() != null)) {
                    String chunk = new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
                    int searchFrom = 0;
                    if (!dropAtNewline) {
                        String marker = dropAfter.get();
                        String window = carry + chunk;
                        int at = marker == null ? -1 : window.indexOf(marker);
                        if (at >= 0 && dropAfter.compareAndSet(marker, null)) {
                            dropAtNewline = true;
                            searchFrom = Math.max(0, at + marker.length() - carry.length());
                        } else if (marker != null) {
                            carry = window.substring(Math.max(0, window.length() - marker.length()));
                        }
                    }
                    if (dropAtNewline) {
                        int newline = chunk.indexOf('\n', searchFrom);
                        if (newline >= 0) {
                            out.write(buffer, 0, newline + 1);
                            out.flush();
                            to.shutdownOutput(); // the line, then the end: nothing the client got is lost
                            dropped.incrementAndGet();
                            return; // closed below, both ends
                        }
                    }
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one end went: the other goes too
        } finally {
            closeBoth(from, to);
        }
    }

    private void closeBoth(Socket a, Socket b) {
        closeQuietly(a);
        closeQuietly(b);
        open.remove(a);
        open.remove(b);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }
}

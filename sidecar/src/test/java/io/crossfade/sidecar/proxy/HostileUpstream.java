package io.crossfade.sidecar.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An upstream that writes raw bytes, for answers no well-behaved server library would send: each
 * request's path picks a scripted answer, written verbatim. Request heads (as ISO-8859-1 text) are
 * kept in {@link #heads}. Bodiless requests only (the proxy's tests send GETs); keep-alive is honoured.
 */
final class HostileUpstream implements AutoCloseable {

    /** Scripted answers by path; a path not here gets {@code 200 ok}. */
    private final Map<String, String> answers = new ConcurrentHashMap<>();
    /** The heads of the requests that reached this upstream, in order. */
    final List<String> heads = new CopyOnWriteArrayList<>();
    private final ServerSocket server;
    private final Thread acceptor;

    HostileUpstream() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "hostile-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Answers {@code path} with {@code raw}, written as ISO-8859-1 bytes. */
    HostileUpstream answer(String path, String raw) {
        answers.put(path, raw);
        return this;
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread t = new Thread(() -> serve(socket), "hostile-upstream-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                heads.add(head);
                String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                String answer = answers.getOrDefault(path, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        } catch (IOException gone) {
            // the proxy closed or reset the connection
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}

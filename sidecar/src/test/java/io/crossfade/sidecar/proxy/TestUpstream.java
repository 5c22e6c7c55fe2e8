package io.crossfade.sidecar.proxy;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP service for the proxy to forward to, with one path per behaviour under test:
 * {@code /echo} (method, URI, headers and body size as JSON), {@code /status/N},
 * {@code /chunked/N} (N chunks, no length), {@code /bytes/N} (N bytes streamed with backpressure),
 * {@code /hang} (never answers), {@code /cut} (headers and part of the body, then closes), and a
 * WebSocket echo on every path.
 */
final class TestUpstream implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    /** Bytes of {@code /bytes/N} written so far, to see how far the upstream got ahead of a slow client. */
    final AtomicLong bytesWritten = new AtomicLong();
    /** Requests that reached the service, on any path. */
    final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.Set<String> closedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();

    TestUpstream() throws Exception {
        server = vertx.createHttpServer()
                .webSocketHandler(ws -> ws.textMessageHandler(ws::writeTextMessage))
                .requestHandler(this::handle)
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.actualPort());
    }

    private void handle(HttpServerRequest request) {
        requests.incrementAndGet();
        String path = request.path();
        HttpServerResponse response = request.response();
        if (path.startsWith("/echo")) {
            long[] size = {0};
            request.handler(b -> size[0] += b.length());
            request.endHandler(v -> {
                JsonObject headers = new JsonObject();
                for (Map.Entry<String, String> h : request.headers()) {
                    String name = h.getKey().toLowerCase(java.util.Locale.ROOT);
                    headers.put(name, headers.containsKey(name) ? headers.getString(name) + "|" + h.getValue() : h.getValue());
                }
                response.putHeader("content-type", "application/json")
                        .putHeader("connection", "keep-alive, x-hop")
                        .putHeader("x-hop", "must not reach the client")
                        .putHeader("keep-alive", "timeout=5")
                        .end(new JsonObject().put("method", request.method().name()).put("uri", request.uri())
                                .put("headers", headers).put("bodyBytes", size[0]).encode());
            });
        } else if (path.startsWith("/status/")) {
            response.setStatusCode(Integer.parseInt(path.substring("/status/".length()))).end("status");
        } else if (path.startsWith("/chunked/")) {
            int n = Integer.parseInt(path.substring("/chunked/".length()));
            response.setChunked(true);
            for (int i = 0; i < n; i++) {
                response.write("chunk " + i + "\n");
            }
            response.end();
        } else if (path.startsWith("/bytes/")) {
            long total = Long.parseLong(path.substring("/bytes/".length()));
            response.putHeader("content-length", String.valueOf(total));
            Buffer block = Buffer.buffer(new byte[64 * 1024]);
            bytesWritten.set(0);
            writeBytes(response, block, total);
        } else if (path.startsWith("/close-once/")) {
            // the first request of each path: the connection closes without an answer, as a service
            // closing an idle kept-alive connection does when a request is already on its way
            if (closedOnce.add(path)) {
                request.connection().close();
            } else {
                response.end("answered on the second try");
            }
        } else if (path.equals("/hang")) {
            request.handler(b -> { });
        } else if (path.equals("/cut")) {
            response.putHeader("content-length", "1000000").write(Buffer.buffer(new byte[1000]));
            vertx.setTimer(200, id -> request.connection().close());
        } else {
            response.setStatusCode(404).end();
        }
    }

    private void writeBytes(HttpServerResponse response, Buffer block, long remaining) {
        while (remaining > 0) {
            if (response.writeQueueFull()) {
                long left = remaining;
                response.drainHandler(v -> writeBytes(response, block, left));
                return;
            }
            int n = (int) Math.min(block.length(), remaining);
            response.write(n == block.length() ? block : block.slice(0, n));
            bytesWritten.addAndGet(n);
            remaining -= n;
        }
        response.end();
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}

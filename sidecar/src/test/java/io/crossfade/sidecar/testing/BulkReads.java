package io.crossfade.sidecar.testing;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Many GETs against one listener, fast: tens of thousands per second on a small machine, where the
 * JDK HttpClient manages about two thousand. Uses the Vert.x HTTP client (already on the classpath)
 * over a few pipelined HTTP/1.1 connections with bounded concurrency.
 */
public final class BulkReads implements AutoCloseable {

    /** One answer: the request's index, status, {@code X-Crossfade-Variant} header and body. */
    public record Answer(int index, int status, String variant, String body) {
    }

    /** Receives answers; called on the client's event loop, must be quick and thread-safe. */
    @FunctionalInterface
    public interface AnswerSink {
        void accept(Answer answer);
    }

    private static final int CONNECTIONS = 4;
    private static final int IN_FLIGHT = 256;

    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    private final HttpClient client;
    private final Context context = vertx.getOrCreateContext();

    public BulkReads(URI base) {
        client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(base.getHost())
                .setDefaultPort(base.getPort()).setKeepAlive(true).setPipelining(true).setPipeliningLimit(64),
                new PoolOptions().setHttp1MaxSize(CONNECTIONS));
    }

    /**
     * GETs {@code pathOf.apply(i)} for every i in [0, count) and hands each answer to {@code sink}.
     *
     * @throws IllegalStateException listing (some of) the requests that failed at the transport level
     */
    public void run(int count, IntFunction<String> pathOf, AnswerSink sink) throws InterruptedException {
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        CountDownLatch done = new CountDownLatch(count);
        List<String> failures = new CopyOnWriteArrayList<>();
        for (int i = 0; i < count; i++) {
            inFlight.acquire();
            int index = i;
            String path = pathOf.apply(i);
            // Issued on the client's own event-loop context: requests made from a foreign thread get
            // their future callbacks on whichever thread completes them first, and a response body
            // handler attached from the test thread can miss data the event loop already delivered.
            context.runOnContext(v -> client.request(HttpMethod.GET, path)
                    .compose(request -> request.send())
                    .compose(response -> response.body().map(body -> new Answer(index, response.statusCode(),
                            response.getHeader("X-Crossfade-Variant"), body.toString())))
                    .onComplete(result -> {
                        try {
                            if (result.succeeded()) {
                                sink.accept(result.result());
                            } else if (failures.size() < 10) {
                                failures.add(path + ": " + result.cause());
                            }
                        } finally {
                            inFlight.release();
                            done.countDown();
                        }
                    }));
        }
        if (!done.await(2, TimeUnit.MINUTES)) {
            throw new IllegalStateException("bulk reads did not finish");
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("requests failed: " + failures);
        }
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }
}

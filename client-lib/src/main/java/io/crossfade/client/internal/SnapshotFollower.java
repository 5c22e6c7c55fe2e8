package io.crossfade.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.SnapshotDocument;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Keeps the latest snapshot of one sidecar in memory. It follows {@code GET /v1/watch} and re-reads
 * {@code GET /v1/snapshot} on every change event (and whenever the stream opens, so nothing published
 * while it was down is missed). When the stream cannot be had or drops, it polls the snapshot and
 * retries the stream with a bounded, jittered exponential {@link Backoff} until the stream is back.
 * A stream silent for longer than the silence limit ({@link #SILENCE_LIMIT}: the sidecar heartbeats
 * every 15 s) counts as dropped, so a half-open connection cannot leave the client deaf.
 *
 * <p>Threading: all decisions run on one scheduler thread, which alone mutates this object's state;
 * HTTP callbacks hop onto it. Readers only do a volatile read of {@link #current()}. Nothing here
 * ever runs on a caller's thread except {@link #awaitReady}, which callers choose to block in.
 */
public final class SnapshotFollower {

    /** How long a watch stream may stay silent before it is considered dead: three missed heartbeats. */
    public static final Duration SILENCE_LIMIT = Duration.ofSeconds(45);

    private final Duration silenceLimit;

    private static final System.Logger LOG = System.getLogger(SnapshotFollower.class.getName());

    private final HttpClient http;
    private final URI snapshotUri;
    private final URI watchUri;
    private final Duration requestTimeout;
    private final ScheduledExecutorService scheduler;
    private final Backoff backoff;
    private final Consumer<SnapshotDocument> onSwap;
    private final CountDownLatch ready = new CountDownLatch(1);

    private volatile SnapshotDocument current;
    private volatile long lastStreamActivity;
    private volatile boolean streaming;
    private volatile String lastProblem = "not connected yet";

    // Scheduler-thread state.
    private long generation;
    private CompletableFuture<?> connecting;
    private long connectStarted;
    private Flow.Subscription stream;
    private boolean refreshing;
    private boolean refreshAgain;
    private boolean retryScheduled;
    private boolean closed;

    /**
     * @param http the client's HTTP client
     * @param endpoint the sidecar's read listener, e.g. {@code http://127.0.0.1:7070}
     * @param requestTimeout bound on one snapshot request
     * @param scheduler the single thread that runs this follower
     * @param initialBackoff first retry delay while the stream is down
     * @param maxBackoff cap on retry delays
     * @param silenceLimit how long the stream may be silent before it counts as dropped
     * @param onSwap told (on the scheduler thread) each newly served snapshot, before readers see it
     */
    public SnapshotFollower(HttpClient http, URI endpoint, Duration requestTimeout, ScheduledExecutorService scheduler,
            Duration initialBackoff, Duration maxBackoff, Duration silenceLimit, Consumer<SnapshotDocument> onSwap) {
        this.http = http;
        this.snapshotUri = endpoint.resolve("/v1/snapshot");
        this.watchUri = endpoint.resolve("/v1/watch");
        this.requestTimeout = requestTimeout;
        this.scheduler = scheduler;
        this.backoff = new Backoff(initialBackoff, maxBackoff, () -> ThreadLocalRandom.current().nextDouble());
        this.silenceLimit = silenceLimit;
        this.onSwap = onSwap;
    }

    /** Starts following in the background; returns at once. */
    public void start() {
        run(() -> {
            // the first load does not wait for the stream: a sidecar that never answers /v1/watch still serves
            refresh();
            connect();
        });
        long period = Math.max(1, Math.min(silenceLimit.toMillis(), requestTimeout.toMillis()) / 3);
        scheduler.scheduleWithFixedDelay(this::checkSilence, period, period, TimeUnit.MILLISECONDS);
    }

    /** The latest snapshot, or null before the first one arrived. A volatile read. */
    public SnapshotDocument current() {
        return current;
    }

    /** True while a watch stream is open. */
    public boolean streaming() {
        return streaming;
    }

    /** Why the last attempt to reach the sidecar failed, for diagnostics. */
    public String lastProblem() {
        return lastProblem;
    }

    /** Blocks the calling thread until a first snapshot is loaded or {@code timeout} passes. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return ready.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Stops following: closes the stream; the last snapshot stays readable. Call on any thread. */
    public void close() {
        run(() -> {
            closed = true;
            generation++;
            cancelStream();
        });
    }

    private void run(Runnable task) {
        try {
            scheduler.execute(task);
        } catch (RejectedExecutionException e) {
            // shutting down: nothing left to do
        }
    }

    // ---- the watch stream

    private void connect() {
        if (closed) {
            return;
        }
        long gen = ++generation;
        HttpRequest request = HttpRequest.newBuilder(watchUri).header("Accept", "text/event-stream").GET().build();
        connectStarted = System.nanoTime();
        connecting = http.sendAsync(request, info -> {
            if (info.statusCode() != 200) {
                return BodySubscribers.replacing(null);
            }
            run(() -> opened(gen));
            return BodySubscribers.fromLineSubscriber(new StreamSubscriber(gen));
        }).whenComplete((response, failure) -> run(() -> {
            String why = failure != null ? describe(failure)
                    : response.statusCode() == 200 ? "the watch stream ended"
                    : "GET /v1/watch answered " + response.statusCode();
            dropped(gen, why);
        }));
    }

    private void opened(long gen) {
        if (gen != generation || closed) {
            return;
        }
        connecting = null;
        streaming = true;
        lastStreamActivity = System.nanoTime();
        backoff.reset();
        // Re-read once the stream is open: a change published before it opened has no event for us.
        refresh();
    }

    private void dropped(long gen, String why) {
        if (gen != generation || closed) {
            return;
        }
        generation++;
        cancelStream();
        if (streaming) {
            LOG.log(Level.INFO, "crossfade: lost the watch stream of {0} ({1}); polling until it is back",
                    watchUri, why);
        }
        streaming = false;
        lastProblem = why;
        scheduleRetry();
    }

    /** While the stream is down: poll the snapshot, then try the stream again, after the next backoff delay. */
    private void scheduleRetry() {
        if (retryScheduled || closed) {
            return;
        }
        retryScheduled = true;
        scheduler.schedule(() -> {
            retryScheduled = false;
            if (closed || streaming) {
                return;
            }
            refresh();
            connect();
        }, backoff.next().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A stream that went quiet, or a sidecar that took the connection but never answered, counts as dropped. */
    private void checkSilence() {
        long now = System.nanoTime();
        if (streaming && now - lastStreamActivity > silenceLimit.toNanos()) {
            dropped(generation, "the watch stream was silent for over " + silenceLimit.toMillis() + " ms");
        } else if (connecting != null && now - connectStarted > requestTimeout.toNanos()) {
            dropped(generation, "GET /v1/watch did not answer within " + requestTimeout.toMillis() + " ms");
        }
    }

    private void cancelStream() {
        if (connecting != null) {
            connecting.cancel(true);
            connecting = null;
        }
        if (stream != null) {
            stream.cancel();
            stream = null;
        }
    }

    private void changed(long gen, String data) {
        if (gen != generation || closed) {
            return;
        }
        SnapshotDocument now = current;
        try {
            JsonNode event = TypedValues.MAPPER.readTree(data);
            if (now != null && event.path("version").asLong() == now.snapshot().version()) {
                return;
            }
        } catch (Exception e) {
            // an event we cannot read still means "something changed"
        }
        refresh();
    }

    /** Lines of one stream; called serially by the HTTP client's threads. */
    private final class StreamSubscriber implements Flow.Subscriber<String> {
        private final long gen;
        private final SseParser parser;

        StreamSubscriber(long gen) {
            this.gen = gen;
            this.parser = new SseParser(event -> {
                if ("change".equals(event.type())) {
                    run(() -> changed(gen, event.data()));
                }
            });
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            run(() -> {
                if (gen == generation && !closed) {
                    stream = subscription;
                } else {
                    subscription.cancel();
                }
            });
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            lastStreamActivity = System.nanoTime();
            parser.line(line);
        }

        @Override
        public void onError(Throwable throwable) {
            run(() -> dropped(gen, describe(throwable)));
        }

        @Override
        public void onComplete() {
            run(() -> dropped(gen, "the watch stream ended"));
        }
    }

    // ---- the snapshot

    /** Fetches the snapshot; at most one request is in flight, and a request asked for meanwhile follows it. */
    private void refresh() {
        if (closed) {
            return;
        }
        if (refreshing) {
            refreshAgain = true;
            return;
        }
        refreshing = true;
        HttpRequest.Builder request = HttpRequest.newBuilder(snapshotUri).timeout(requestTimeout).GET();
        SnapshotDocument now = current;
        if (now != null) {
            request.header("If-None-Match", "\"" + now.snapshot().version() + "\"");
        }
        http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray())
                .whenComplete((response, failure) -> run(() -> fetched(response, failure)));
    }

    private void fetched(HttpResponse<byte[]> response, Throwable failure) {
        refreshing = false;
        if (failure != null) {
            lastProblem = describe(failure);
        } else if (response.statusCode() == 200) {
            try {
                swap(SnapshotDocument.read(TypedValues.MAPPER.readTree(response.body())));
            } catch (Exception e) {
                String problem = "GET /v1/snapshot answered a document this client cannot read: " + e.getMessage();
                if (!problem.equals(lastProblem)) { // once per distinct problem, not once per poll
                    LOG.log(Level.WARNING, "crossfade: {0}; keeping the last snapshot", problem);
                }
                lastProblem = problem;
            }
        } else if (response.statusCode() != 304) {
            lastProblem = "GET /v1/snapshot answered " + response.statusCode();
        }
        if (refreshAgain) {
            refreshAgain = false;
            refresh();
        }
    }

    private void swap(SnapshotDocument next) {
        SnapshotDocument now = current;
        // Any other version is news, lower ones included: a sidecar whose state was wiped starts over.
        if (closed || (now != null && now.snapshot().version() == next.snapshot().version())) {
            return;
        }
        onSwap.accept(next);
        current = next;
        ready.countDown();
    }

    private static String describe(Throwable t) {
        Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}

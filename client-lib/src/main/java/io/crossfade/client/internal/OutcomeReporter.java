package io.crossfade.client.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.client.OutcomeCounts;
import io.crossfade.config.DaemonThreads;
import io.crossfade.config.InputText;
import io.crossfade.config.SettingKey;
import io.crossfade.config.WireLimits;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Sends recorded outcomes to the sidecar's {@code POST /v1/outcomes}, in the design's per-unit form
 * {@code {"outcomes":[{"key","unit","ok"}]}}. Recording only enqueues into a bounded in-memory queue
 * (a full queue drops the outcome and counts it); one background thread of its own sends batches of
 * at most {@link WireLimits#MAX_OUTCOMES_PER_REQUEST} every {@code interval}, sooner when a full batch is waiting, and once
 * more on {@link #close}. A batch that fails for a reason that may pass (no connection, timeout, 5xx,
 * 408, 429) is retried up to {@code maxAttempts} times in total; a batch the sidecar refuses (other
 * 4xx) or that runs out of attempts is counted as failed. Nothing here throws to the caller.
 */
public final class OutcomeReporter implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(OutcomeReporter.class.getName());

    /** One outcome; {@code unit} null means "the sidecar's instance id", filled in when sent. */
    record Outcome(String key, String unit, boolean ok) {
    }

    private final HttpClient http;
    private final URI uri;
    private final Supplier<String> instanceId;
    private final Duration requestTimeout;
    private final int batchSize;
    private final int maxAttempts;
    private final ArrayBlockingQueue<Outcome> queue;
    private final ScheduledExecutorService thread;
    private final AtomicBoolean flushRequested = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LongAdder recorded = new LongAdder();
    private final LongAdder sent = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder failed = new LongAdder();

    // Owned by the reporter's thread; pendingCount is its size, published for counts().
    private List<Outcome> pending;
    private int attempts;
    private volatile int pendingCount;

    /**
     * @param http the client's HTTP client
     * @param endpoint the sidecar's read listener
     * @param requestTimeout bound on one request
     * @param capacity bound on queued outcomes
     * @param batchSize outcomes per request, 1 to {@link WireLimits#MAX_OUTCOMES_PER_REQUEST}
     * @param maxAttempts sends of one batch before it is given up, at least 1
     * @param interval time between flushes
     * @param instanceId the sidecar's instance id, the unit of outcomes recorded without one; null while
     *     unknown (the sidecar has not been reached yet)
     */
    public OutcomeReporter(HttpClient http, URI endpoint, Duration requestTimeout, int capacity, int batchSize,
            int maxAttempts, Duration interval, Supplier<String> instanceId) {
        if (capacity < 1) {
            throw new IllegalArgumentException("outcome queue capacity must be at least 1, got " + capacity);
        }
        if (batchSize < 1 || batchSize > WireLimits.MAX_OUTCOMES_PER_REQUEST) {
            throw new IllegalArgumentException("batch size must be 1 to " + WireLimits.MAX_OUTCOMES_PER_REQUEST
                    + ", got " + batchSize);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        this.http = http;
        this.uri = endpoint.resolve("/v1/outcomes");
        this.instanceId = instanceId;
        this.requestTimeout = requestTimeout;
        this.batchSize = batchSize;
        this.maxAttempts = maxAttempts;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = DaemonThreads.scheduler("crossfade-client-outcomes");
        long millis = interval.toMillis();
        thread.scheduleWithFixedDelay(this::flushQuietly, millis, millis, TimeUnit.MILLISECONDS);
    }

    /**
     * Queues one outcome without blocking. Returns false, and counts a drop, when the queue is full,
     * the reporter is closed, or the outcome could never be accepted by the sidecar (invalid key, unit
     * over {@link WireLimits#MAX_UNIT_BYTES} bytes).
     */
    public boolean record(String key, String unit, boolean ok) {
        recorded.increment();
        if (closed.get() || !SettingKey.isValid(key) || (unit != null && WireLimits.unitTooLong(unit))) {
            dropped.increment();
            return false;
        }
        if (!queue.offer(new Outcome(key, unit, ok))) {
            dropped.increment();
            return false;
        }
        if (queue.size() >= batchSize && flushRequested.compareAndSet(false, true)) {
            try {
                thread.execute(this::flushQuietly);
            } catch (RejectedExecutionException e) {
                flushRequested.set(false);
            }
        }
        return true;
    }

    /** Current counters. */
    public OutcomeCounts counts() {
        return new OutcomeCounts(recorded.sum(), sent.sum(), dropped.sum(), failed.sum(), queue.size() + pendingCount);
    }

    /** Sends what is queued now, batch after batch, until the queue is empty or a send fails. */
    private void flushQuietly() {
        flushRequested.set(false);
        try {
            while (true) {
                if (pending == null) {
                    List<Outcome> batch = new ArrayList<>(Math.min(batchSize, queue.size()));
                    queue.drainTo(batch, batchSize);
                    if (batch.isEmpty()) {
                        return;
                    }
                    batch = withUnits(batch);
                    if (batch.isEmpty()) {
                        continue;
                    }
                    pending = batch;
                    pendingCount = batch.size();
                    attempts = 0;
                }
                if (!sendPending()) {
                    return;
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "crossfade: sending outcomes failed unexpectedly", e);
        }
    }

    /**
     * The batch with every missing unit set to the sidecar's instance id (the sidecar wants a unit on
     * each outcome). While that id is unknown, such outcomes cannot be attributed: they count as failed.
     */
    private List<Outcome> withUnits(List<Outcome> batch) {
        String fallback = null;
        List<Outcome> out = new ArrayList<>(batch.size());
        for (Outcome o : batch) {
            if (o.unit() != null) {
                out.add(o);
                continue;
            }
            if (fallback == null) {
                fallback = instanceId.get();
                if (fallback == null) {
                    failed.increment();
                    continue;
                }
            }
            out.add(new Outcome(o.key(), fallback, o.ok()));
        }
        return out;
    }

    /** One attempt at the pending batch; true when it is settled (sent or given up) and the next may go. */
    private boolean sendPending() {
        attempts++;
        int status;
        String problem;
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(requestTimeout)
                    .header("Content-Type", "application/json; charset=utf-8")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body(pending))).build(),
                    HttpResponse.BodyHandlers.ofString());
            status = response.statusCode();
            problem = "POST /v1/outcomes answered " + status + ": " + InputText.abbreviate(response.body(), 200);
        } catch (IOException e) {
            status = -1;
            problem = "POST /v1/outcomes failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = -1;
            problem = "interrupted";
        }
        if (status >= 200 && status < 300) {
            sent.add(pending.size());
            settle();
            return true;
        }
        boolean mayPass = status < 0 || status >= 500 || status == 408 || status == 429;
        if (mayPass && attempts < maxAttempts) {
            return false; // keep the batch for the next flush
        }
        LOG.log(Level.WARNING, "crossfade: gave up on {0} outcome(s) after {1} attempt(s): {2}",
                pending.size(), attempts, problem);
        failed.add(pending.size());
        settle();
        return true;
    }

    private void settle() {
        pending = null;
        pendingCount = 0;
        attempts = 0;
    }

    private static byte[] body(List<Outcome> batch) {
        ObjectNode doc = TypedValues.MAPPER.createObjectNode();
        ArrayNode outcomes = doc.putArray("outcomes");
        for (Outcome o : batch) {
            outcomes.addObject().put("key", o.key()).put("unit", o.unit()).put("ok", o.ok());
        }
        return doc.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Stops accepting outcomes and sends what is queued, waiting at most {@code timeout}; what is still
     * unsent then is counted as failed.
     */
    public void close(Duration timeout) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            thread.execute(() -> {
                if (pending != null) {
                    attempts = Math.max(attempts, maxAttempts - 1); // one last try for a batch already failing
                }
                flushQuietly();
                while (pending != null) {
                    // the sidecar is away: no point in trying the rest
                    failed.add(pending.size());
                    settle();
                    List<Outcome> rest = new ArrayList<>();
                    queue.drainTo(rest);
                    failed.add(rest.size());
                }
            });
        } catch (RejectedExecutionException e) {
            // already shut down
        }
        thread.shutdown();
        try {
            if (!thread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                thread.shutdownNow();
                thread.awaitTermination(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            thread.shutdownNow();
        }
        // whatever the sidecar did not take in time is lost: say so in the counts
        int left = queue.size() + pendingCount;
        queue.clear();
        pendingCount = 0;
        failed.add(left);
    }

    @Override
    public void close() {
        close(requestTimeout.multipliedBy(2).plusSeconds(1));
    }
}

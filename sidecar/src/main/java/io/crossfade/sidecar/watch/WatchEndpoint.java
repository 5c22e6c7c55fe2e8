package io.crossfade.sidecar.watch;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.sidecar.http.Endpoints;
import io.crossfade.sidecar.http.ErrorCode;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.http.ListenerConnections;
import io.crossfade.sidecar.http.Routes;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.Published;
import io.crossfade.sidecar.rollout.PublishedState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/watch}: a Server-Sent Events stream that tells clients when to re-read. Every
 * snapshot the rollout controller publishes becomes one event
 *
 * <pre>
 * event: change
 * data: {"version":1795518438689,"keys":["db.pool.size"]}
 * </pre>
 *
 * (another path may be served with another {@link EventFormat}, as OFREP's change stream is), and
 * a comment line {@code : heartbeat} is sent every {@code heartbeat} so clients (and proxies) can
 * tell a quiet stream from a dead one. Events are written as they happen, unbuffered.
 *
 * <p>Threading: publications arrive on the controller thread; each is handed to every watcher's own
 * event-loop context, which alone touches its response. A watcher that does not read (its write
 * queue is full) is disconnected rather than buffered without bound: it reconnects and re-reads the
 * snapshot. At most {@code maxWatchers} streams are open at once; more are answered 503. A stream's
 * connection leaves its listener's {@code --max-connections} while it streams
 * ({@link ListenerConnections#streamStarted}): streams have this cap, connections that make requests
 * theirs.
 */
public final class WatchEndpoint implements Endpoints {

    /** The path served. */
    public static final String PATH = "/v1/watch";

    /** How often the design asks for a heartbeat. */
    public static final Duration HEARTBEAT = Duration.ofSeconds(15);

    /** Default bound on open streams: far above one host's services, low enough to protect the sidecar. */
    public static final int MAX_WATCHERS = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(WatchEndpoint.class);
    private static final CharSequence EVENT_STREAM = HttpHeaders.createOptimized("text/event-stream; charset=utf-8");
    private static final CharSequence NO_CACHE = HttpHeaders.createOptimized("no-cache");
    private static final String HEARTBEAT_COMMENT = ": heartbeat\n\n";

    /**
     * Writes the SSE event text (ending in a blank line) told to watchers of one publication; called
     * once per publication on the controller's thread, must be quick.
     */
    @FunctionalInterface
    public interface EventFormat {
        String event(PublishedState current, Set<String> changedKeys);
    }

    private final String path;
    private final EventFormat format;
    private final String instead;
    private final Published published;
    private final long heartbeatMillis;
    private final int maxWatchers;
    private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();

    /**
     * Creates the endpoint and subscribes it to {@code published}'s publications.
     *
     * @param heartbeat interval of the heartbeat comment
     * @param maxWatchers bound on streams open at once
     */
    public WatchEndpoint(Published published, Duration heartbeat, int maxWatchers) {
        this(PATH, WatchEndpoint::changeEvent, "poll GET /v1/snapshot instead", published, heartbeat, maxWatchers);
    }

    /**
     * Creates an endpoint serving {@code path} with events in {@code format}, subscribed to
     * {@code published}'s publications.
     *
     * @param instead what a client refused for too many streams can do instead, for the 503's message
     * @param heartbeat interval of the heartbeat comment
     * @param maxWatchers bound on streams open at once on this path
     */
    public WatchEndpoint(String path, EventFormat format, String instead, Published published,
            Duration heartbeat, int maxWatchers) {
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("heartbeat must be positive, got " + heartbeat);
        }
        if (maxWatchers < 1) {
            throw new IllegalArgumentException("maxWatchers must be at least 1, got " + maxWatchers);
        }
        this.path = path;
        this.format = format;
        this.instead = instead;
        this.published = published;
        this.heartbeatMillis = heartbeat.toMillis();
        this.maxWatchers = maxWatchers;
        published.onSnapshot((previous, current, changedKeys) -> published(current, changedKeys));
    }

    /** Streams open now. */
    public int watchers() {
        return open.get();
    }

    @Override
    public void addRoutes(Routes routes) {
        routes.add(Set.of(HttpMethod.GET), path, (request, params) -> watch(request));
    }

    private void watch(HttpServerRequest request) {
        if (open.incrementAndGet() > maxWatchers) {
            open.decrementAndGet();
            HttpResponses.error(request, ErrorCode.UNAVAILABLE, "too many open watch streams (" + maxWatchers
                    + "); " + instead + ", or retry later");
            return;
        }
        // a stream is counted against the streams' cap (above), not the listener's --max-connections
        ListenerConnections.streamStarted(request);
        Context context = Vertx.currentContext();
        HttpServerResponse response = request.response();
        Watcher watcher = new Watcher(context, response);
        response.setChunked(true)
                .putHeader(HttpHeaders.CONTENT_TYPE, EVENT_STREAM)
                .putHeader(HttpHeaders.CACHE_CONTROL, NO_CACHE)
                .putHeader("X-Accel-Buffering", "no");
        response.closeHandler(v -> watcher.stop());
        response.exceptionHandler(e -> watcher.stop());
        watchers.add(watcher);
        watcher.timer = context.owner().setPeriodic(heartbeatMillis, id -> watcher.send(HEARTBEAT_COMMENT));
        // The first bytes send the headers, so the client knows at once that the stream is open.
        watcher.send(": watching version " + published.current().snapshot().version() + "\n\n");
    }

    /**
     * Ends every open stream (on its own context), for a graceful stop: a stream never finishes by
     * itself, so without this the listener would wait its whole shutdown bound for it. Clients
     * reconnect, to this sidecar once it is back or to another. The future completes when every
     * stream's end is written, with how many streams there were.
     */
    public Future<Integer> closeAll() {
        List<Future<Void>> ending = new ArrayList<>();
        for (Watcher w : watchers) {
            Promise<Void> ended = Promise.promise();
            ending.add(ended.future());
            w.context.runOnContext(v -> w.end().onComplete(ended));
        }
        return Future.join(ending).map(ignored -> ending.size()).otherwise(ending.size());
    }

    /** On the controller thread: prepare the event once, then hand it to each watcher's own context. */
    private void published(PublishedState current, Set<String> changedKeys) {
        if (watchers.isEmpty()) {
            return;
        }
        String event = format.event(current, changedKeys);
        for (Watcher w : watchers) {
            w.context.runOnContext(v -> w.send(event));
        }
    }

    /** The {@code /v1/watch} event: {@code event: change} with the version and the changed keys. */
    private static String changeEvent(PublishedState current, Set<String> changedKeys) {
        ObjectNode data = Json.MAPPER.createObjectNode();
        data.put("version", current.snapshot().version());
        ArrayNode keys = data.putArray("keys");
        new TreeSet<>(changedKeys).forEach(keys::add);
        return "event: change\ndata: " + data + "\n\n";
    }

    /** One open stream; touched only on its own context (except for {@link #stop}, which is idempotent). */
    private final class Watcher {
        private final Context context;
        private final HttpServerResponse response;
        private final AtomicInteger stopped = new AtomicInteger();
        private long timer = -1;

        Watcher(Context context, HttpServerResponse response) {
            this.context = context;
            this.response = response;
        }

        void send(String text) {
            if (response.closed() || response.ended()) {
                stop();
                return;
            }
            if (response.writeQueueFull()) {
                LOG.info("closing a watch stream whose client does not read; it will reconnect and re-read");
                stop();
                response.reset();
                return;
            }
            response.write(text);
        }

        Future<Void> end() {
            stop();
            return response.closed() || response.ended() ? Future.succeededFuture() : response.end();
        }

        void stop() {
            if (stopped.getAndIncrement() != 0) {
                return;
            }
            watchers.remove(this);
            open.decrementAndGet();
            if (timer != -1) {
                context.owner().cancelTimer(timer);
            }
        }
    }
}

package io.crossfade.sidecar.http;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The handler of a listener bound before the endpoints behind it exist. The sidecar binds its
 * listeners first, so that a port already in use stops the start before any state is written and the
 * first log line can name the bound addresses; requests arriving in the moment until the endpoints
 * are ready are held (paused, at most {@link #MAX_HELD}) and handed over once they are, so a client
 * that connected early is answered, not refused. If the start fails, held requests get 503.
 *
 * <p>Threading: {@link #handle} runs on listener event loops, {@link #open} and {@link #fail} on the
 * starting thread; the queue is guarded by this object's monitor, and each held request is resumed on
 * its own context.
 */
public final class StartupGate implements Handler<HttpServerRequest> {

    /** Requests held at most while starting; more are answered 503 at once. */
    public static final int MAX_HELD = 1024;

    private record Held(HttpServerRequest request, Context context) {
    }

    private final Deque<Held> held = new ArrayDeque<>();
    private volatile Handler<HttpServerRequest> target;
    private String failure;

    @Override
    public void handle(HttpServerRequest request) {
        Handler<HttpServerRequest> ready = target;
        if (ready != null) {
            ready.handle(request);
            return;
        }
        String refusal;
        synchronized (this) {
            ready = target;
            refusal = failure;
            if (ready == null && refusal == null && held.size() < MAX_HELD) {
                request.pause();
                held.add(new Held(request, Vertx.currentContext()));
                return;
            }
        }
        if (ready != null) {
            ready.handle(request);
        } else {
            HttpResponses.error(request, ErrorCode.UNAVAILABLE, refusal != null ? refusal
                    : "the sidecar is starting; retry in a moment");
        }
    }

    /** Sends every request from now on, and every held one, to {@code handler}. */
    public void open(Handler<HttpServerRequest> handler) {
        Deque<Held> waiting;
        synchronized (this) {
            target = handler;
            waiting = new ArrayDeque<>(held);
            held.clear();
        }
        for (Held h : waiting) {
            h.context().runOnContext(v -> {
                handler.handle(h.request());
                h.request().resume();
            });
        }
    }

    /** The start failed: held and later requests get 503 with {@code reason}. */
    public void fail(String reason) {
        Deque<Held> waiting;
        synchronized (this) {
            failure = reason;
            waiting = new ArrayDeque<>(held);
            held.clear();
        }
        for (Held h : waiting) {
            h.context().runOnContext(v -> HttpResponses.error(h.request(), ErrorCode.UNAVAILABLE, reason));
        }
    }
}

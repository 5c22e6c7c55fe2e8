package io.crossfade.sidecar.proxy;

import io.crossfade.sidecar.guard.OutcomeSource;
import io.crossfade.sidecar.http.ErrorCode;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.proxy.ProxyMetrics.UpstreamError;
import io.crossfade.sidecar.read.SettingsEndpoints;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request through the proxy, on its connection's event loop: picks the unit, adds the settings
 * and variants headers, forwards the request with its body streamed, streams the answer back with
 * backpressure both ways, and reports one outcome per migration in effect when it is over. The
 * upstream timeout bounds the wait for response headers and each gap in the response body while the
 * client keeps up; a gap caused by a slow client (the response paused for backpressure) is not the
 * upstream's fault and is not timed.
 */
final class ProxyExchange {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyExchange.class);
    private static final TimeoutException TIMED_OUT = new TimeoutException("upstream timeout");
    private static final long NOT_TIMED = Long.MIN_VALUE;

    private final ProxyListener listener;
    private final HttpServerRequest request;
    private final HttpServerResponse response;
    private final long startNanos;
    private final RequestDeadlines deadlines;
    private SettingsInjection injection;
    private SettingsInjection.Assignment assignment;
    /** The unit of the request, for outcomes of units a cohort placed. */
    private String unit;
    private HttpClientRequest upstream;
    private HttpClientResponse upstreamResponse;
    /** A body that came whole in one chunk, held for the response's end. */
    private Buffer whole;
    private ScheduledFuture<?> timer;
    /** When the upstream timeout runs out ({@link System#nanoTime}), or {@link #NOT_TIMED}. */
    private long deadline = NOT_TIMED;
    private boolean timedOut;
    private boolean finished;
    private RequestOptions target;
    private boolean retried;

    ProxyExchange(ProxyListener listener, HttpServerRequest request, long startNanos) {
        this.listener = listener;
        this.request = request;
        this.response = request.response();
        this.startNanos = startNanos;
        this.deadlines = RequestDeadlines.of(request.connection());
    }

    void begin() {
        request.pause();
        if (deadlines != null) {
            if (!deadlines.requestStarted(request)) {
                return; // the connection's first request, over --max-connections: answered 503
            }
            response.endHandler(v -> deadlines.requestEnded());
        }
        String unit = unit();
        if (unit == null) {
            return;
        }
        this.unit = unit;
        injection = listener.injection();
        assignment = injection.assign(unit);
        response.closeHandler(v -> clientGone());
        ProxyOptions options = listener.options();
        target = new RequestOptions()
                .setMethod(request.method())
                .setHost(options.upstream().getHost())
                .setPort(options.upstreamPort())
                .setURI(listener.pathPrefix() + pathAndQuery())
                .setConnectTimeout(listener.timeoutMillis());
        arm();
        listener.client().request(target).onComplete(this::connected);
    }

    private String pathAndQuery() {
        String uri = request.uri();
        if (uri.startsWith("/")) {
            return uri;
        }
        String query = request.query();
        return request.path() + (query == null ? "" : "?" + query);
    }

    /** The unit from the header, else the cookie, else the instance id; null after answering 400. */
    private String unit() {
        ProxyOptions options = listener.options();
        String unit = SettingsEndpoints.headerAsUtf8(request.getHeader(options.unitHeader()));
        if ((unit == null || unit.isEmpty()) && options.unitCookie() != null) {
            Cookie cookie = request.getCookie(options.unitCookie());
            unit = cookie == null ? null : cookie.getValue();
        }
        if (unit == null || unit.isEmpty()) {
            return listener.instanceId();
        }
        if (io.crossfade.config.WireLimits.unitTooLong(unit)) {
            response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
            HttpResponses.error(request, ErrorCode.BAD_REQUEST, "the unit in " + (request.getHeader(options.unitHeader())
                    != null ? "header " + options.unitHeader() : "cookie " + options.unitCookie()) + " is longer than "
                    + io.crossfade.config.WireLimits.MAX_UNIT_BYTES + " bytes");
            listener.metrics().answered(400, System.nanoTime() - startNanos);
            finished = true;
            return null;
        }
        return unit;
    }

    private void connected(AsyncResult<HttpClientRequest> ar) {
        if (finished) {
            if (ar.succeeded()) {
                ar.result().reset();
            }
            return;
        }
        if (ar.failed()) {
            failedBeforeHeaders(timedOut ? UpstreamError.TIMEOUT : UpstreamError.REFUSED, ar.cause());
            return;
        }
        upstream = ar.result();
        MultiMap in = request.headers();
        MultiMap out = upstream.headers();
        ForwardedHeaders.copy(in, out, true);
        if (assignment.settingsHeader() != null) {
            out.set(ForwardedHeaders.SETTINGS, assignment.settingsHeader());
        }
        if (assignment.variantsHeader() != null) {
            out.set(ForwardedHeaders.VARIANTS, assignment.variantsHeader());
        }
        SocketAddress client = request.remoteAddress();
        String host = in.get(HttpHeaders.HOST);
        ForwardedHeaders.addForwarding(out, in, client == null ? "unknown" : client.hostAddress(), host);
        HostAndPort authority = request.authority();
        if (authority != null) {
            // the service's own public name, unchanged
            upstream.authority(authority);
        }
        if (request.method() == HttpMethod.GET && ForwardedHeaders.isWebSocketUpgrade(in)) {
            out.set(HttpHeaders.CONNECTION, HttpHeaders.UPGRADE);
            out.set(HttpHeaders.UPGRADE, in.get(HttpHeaders.UPGRADE));
            upstream.connect().onComplete(this::upgraded);
            return;
        }
        if (!in.contains(HttpHeaders.CONTENT_LENGTH) && in.contains(HttpHeaders.TRANSFER_ENCODING)) {
            upstream.setChunked(true);
        }
        upstream.response().onComplete(this::answered);
        if (retried) {
            upstream.end(); // only bodiless requests are retried; their end was already read
        } else {
            forwardBody();
        }
    }

    /**
     * Streams the request body to the upstream, pausing the client while the upstream's write queue
     * is full. The upstream timeout runs between chunks: an upstream that stops reading an upload
     * is as stuck as one that stops answering.
     */
    private void forwardBody() {
        request.handler(chunk -> {
            arm();
            upstream.write(chunk);
            if (upstream.writeQueueFull()) {
                request.pause();
                upstream.drainHandler(v -> request.resume());
            }
        });
        request.exceptionHandler(t -> clientGone());
        request.endHandler(v -> {
            if (!finished) {
                arm();
                upstream.end();
            }
        });
        request.resume();
    }

    private void answered(AsyncResult<HttpClientResponse> ar) {
        if (finished) {
            return;
        }
        if (ar.failed()) {
            if (retriable(ar.cause())) {
                // A kept-alive connection the service closed just as this request went out on it:
                // nothing reached the service, so a bodiless, idempotent request goes once more, on a
                // fresh connection, as nginx and Envoy do.
                retried = true;
                upstream = null;
                arm();
                listener.client().request(target).onComplete(this::connected);
                return;
            }
            failedBeforeHeaders(timedOut ? UpstreamError.TIMEOUT : UpstreamError.RESET, ar.cause());
            return;
        }
        HttpClientResponse in = ar.result();
        upstreamResponse = in;
        int status = in.statusCode();
        response.setStatusCode(status);
        if (in.statusMessage() != null) {
            response.setStatusMessage(in.statusMessage());
        }
        ForwardedHeaders.copy(in.headers(), response.headers(), false);
        boolean close = ForwardedHeaders.asksToClose(request.headers());
        if (close) {
            // "Connection: close, x-foo" is a close too, which Vert.x alone would not see
            response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
        boolean bodiless = request.method() == HttpMethod.HEAD || status < 200 || status == 204 || status == 304;
        if (!bodiless && !in.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
            response.setChunked(true);
        }
        arm();
        long declared = bodiless ? -1 : contentLength(in.headers());
        in.handler(chunk -> {
            arm();
            if (chunk.length() == declared) {
                // the whole body in one piece, and its end right behind it: answered at the end in one
                // write, head and body together, instead of a write for each
                whole = chunk;
                return;
            }
            response.write(chunk);
            if (response.writeQueueFull()) {
                // the client is slower than the upstream: stop reading it, and stop timing it
                in.pause();
                disarm();
                response.drainHandler(v -> {
                    if (!finished) {
                        arm();
                        in.resume();
                    }
                });
            }
        });
        in.exceptionHandler(t -> failedMidResponse(timedOut ? UpstreamError.TIMEOUT : UpstreamError.RESET, t));
        in.endHandler(v -> {
            stopTiming();
            if (!finished) {
                Future<Void> ended = whole != null ? response.end(whole) : response.end();
                if (close) {
                    ended.onComplete(done -> request.connection().close());
                }
                finish(status, !listener.options().errorStatuses().isError(status));
            }
        });
    }

    /**
     * True for the one retry a request gets: the upstream connection closed or was reset before any
     * answer (not a timeout), the method is idempotent, the request had no body, and it has been read
     * whole.
     */
    private boolean retriable(Throwable cause) {
        // closed (HttpClosedException) or reset (ECONNRESET, an IOException) before any answer
        boolean connectionLost = cause instanceof io.vertx.core.http.HttpClosedException
                || cause instanceof java.io.IOException;
        if (retried || timedOut || !connectionLost) {
            return false;
        }
        HttpMethod method = request.method();
        boolean idempotent = method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.OPTIONS;
        MultiMap in = request.headers();
        boolean bodiless = !in.contains(HttpHeaders.TRANSFER_ENCODING)
                && (!in.contains(HttpHeaders.CONTENT_LENGTH) || "0".equals(in.get(HttpHeaders.CONTENT_LENGTH).trim()));
        return idempotent && bodiless && request.isEnded() && !ForwardedHeaders.isWebSocketUpgrade(in);
    }

    private void upgraded(AsyncResult<HttpClientResponse> ar) {
        if (finished) {
            return;
        }
        if (ar.failed()) {
            failedBeforeHeaders(timedOut ? UpstreamError.TIMEOUT : UpstreamError.RESET, ar.cause());
            return;
        }
        HttpClientResponse in = ar.result();
        if (in.statusCode() != 101) {
            request.resume();
            answered(ar);
            return;
        }
        stopTiming();
        response.setStatusCode(101);
        ForwardedHeaders.copy(in.headers(), response.headers(), false);
        response.headers().set(HttpHeaders.CONNECTION, HttpHeaders.UPGRADE);
        response.headers().set(HttpHeaders.UPGRADE, in.headers().get(HttpHeaders.UPGRADE));
        if (deadlines != null) {
            deadlines.tunnel();
        }
        NetSocket service = in.netSocket();
        request.toNetSocket().onComplete(socket -> {
            if (socket.failed()) {
                service.close();
                finish(101, true);
                return;
            }
            NetSocket client = socket.result();
            client.pipeTo(service);
            service.pipeTo(client);
            finish(101, true);
        });
    }

    private void failedBeforeHeaders(UpstreamError kind, Throwable cause) {
        stopTiming();
        listener.metrics().upstreamError(kind);
        if (upstream != null) {
            upstream.reset();
        }
        String message = switch (kind) {
            case TIMEOUT -> "the service at " + listener.options().upstream() + " did not answer within "
                    + io.crossfade.config.Durations.format(listener.options().upstreamTimeout());
            case REFUSED -> "the service at " + listener.options().upstream() + " cannot be reached: "
                    + describe(cause);
            case RESET -> "the service at " + listener.options().upstream() + " closed the connection without an "
                    + "answer: " + describe(cause);
        };
        LOG.debug("{} {}: {}", request.method(), request.path(), message);
        if (!request.isEnded()) {
            // the rest of the request body will not be read: do not keep the connection for it
            response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
            request.resume();
        }
        ErrorCode code = kind == UpstreamError.TIMEOUT ? ErrorCode.GATEWAY_TIMEOUT : ErrorCode.BAD_GATEWAY;
        HttpResponses.error(request, code, message);
        finish(code.status(), false);
    }

    private void failedMidResponse(UpstreamError kind, Throwable cause) {
        stopTiming();
        if (finished) {
            return;
        }
        listener.metrics().upstreamError(kind);
        LOG.debug("{} {}: the upstream response broke off ({}): {}", request.method(), request.path(),
                kind.label, describe(cause));
        // The status line is out: the only honest signal left is to cut the connection, so the client
        // sees a truncated response rather than a complete-looking one.
        response.reset();
        finish(response.getStatusCode(), false);
    }

    /** The client closed its connection before the exchange was over: stop the upstream side too. */
    private void clientGone() {
        stopTiming();
        if (finished) {
            return;
        }
        finished = true;
        if (upstream != null) {
            upstream.reset();
        }
    }

    private void finish(int status, boolean ok) {
        if (finished) {
            return;
        }
        finished = true;
        listener.metrics().answered(status, System.nanoTime() - startNanos);
        if (injection.hasMigrationsInEffect()) {
            listener.guard().record(injection.outcomes(unit, assignment, ok), OutcomeSource.PROXY);
        }
    }

    /**
     * Starts (or restarts) the upstream timeout from now. The deadline is a field and the timer
     * lazy: one timer runs per exchange and, when it fires before the latest deadline, waits for the
     * rest, so the four or five restarts of an exchange cost a clock read each rather than a
     * timer's cancel and re-creation (see {@link ProxyListener#schedule} for why not a Vert.x timer).
     */
    private void arm() {
        deadline = System.nanoTime() + listener.timeoutMillis() * 1_000_000L;
        if (timer == null) {
            timer = listener.schedule(this::timerFired, listener.timeoutMillis() * 1_000_000L);
        }
    }

    /** Stops timing (the client is being waited for); the timer, if any, finds nothing to do. */
    private void disarm() {
        deadline = NOT_TIMED;
    }

    /** Stops timing for good: the exchange is over, so its timer is cancelled rather than left to fire. */
    private void stopTiming() {
        deadline = NOT_TIMED;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void timerFired(Void v) {
        timer = null;
        if (deadline == NOT_TIMED || finished) {
            return;
        }
        long left = deadline - System.nanoTime();
        if (left > 0) {
            timer = listener.schedule(this::timerFired, left);
            return;
        }
        deadline = NOT_TIMED;
        timedOut = true;
        if (upstream != null) {
            upstream.reset(0, TIMED_OUT);
        }
        if (upstreamResponse != null) {
            failedMidResponse(UpstreamError.TIMEOUT, TIMED_OUT);
        }
    }

    /** The declared {@code Content-Length}, or -1 when there is none or it is not one number. */
    private static long contentLength(MultiMap headers) {
        String value = headers.get(HttpHeaders.CONTENT_LENGTH);
        if (value == null) {
            return -1;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}

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
 * upstream's fault and is not timed. When the timeout runs out before the response headers, the
 * client is answered 504 by the timer itself, whatever the upstream connection is doing.
 *
 * <p>Every callback runs {@link #guarded}: an exception inside the exchange (a header the HTTP codec
 * refuses, a bug) answers the client 502 in the error shape, counts
 * {@code crossfade_proxy_upstream_errors_total{kind="internal"}} and records an error outcome,
 * rather than leaving the request without an answer.
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

    /** Starts the exchange; never throws (a failure is answered 502, see {@link #failedInternally}). */
    void begin() {
        try {
            start();
        } catch (RuntimeException | Error e) {
            failedInternally(e);
        }
    }

    private void start() {
        request.pause();
        if (deadlines != null) {
            if (!deadlines.requestStarted(request)) {
                return; // the connection's first request, over --max-connections: answered 503
            }
            response.endHandler(v -> deadlines.requestEnded());
        }
        if (!strict()) {
            return;
        }
        String unit = unit();
        if (unit == null) {
            return;
        }
        this.unit = unit;
        injection = listener.injection();
        assignment = injection.assign(unit);
        response.closeHandler(guarded(v -> clientGone()));
        ProxyOptions options = listener.options();
        target = new RequestOptions()
                .setMethod(request.method())
                .setHost(options.upstream().getHost())
                .setPort(options.upstreamPort())
                .setURI(listener.pathPrefix() + pathAndQuery())
                .setConnectTimeout(listener.timeoutMillis());
        arm();
        listener.client().request(target).onComplete(guarded(this::connected));
    }

    /**
     * The checks RFC 9110 and RFC 9112 ask of an intermediary before it forwards anything: an
     * HTTP/1.1 request carries exactly one {@code Host} (400 otherwise: which one names the
     * service is ambiguous, a smuggling vector), and an {@code Expect} other than
     * {@code 100-continue} cannot be met (417). False after answering.
     */
    private boolean strict() {
        MultiMap in = request.headers();
        java.util.List<String> hosts = in.getAll(HttpHeaders.HOST);
        String problem = null;
        if (hosts.size() > 1) {
            problem = "the request carries " + hosts.size() + " Host headers; exactly one is allowed";
        } else if (hosts.isEmpty() && request.version() == io.vertx.core.http.HttpVersion.HTTP_1_1) {
            problem = "an HTTP/1.1 request must carry a Host header";
        }
        if (problem != null) {
            refuse(ErrorCode.BAD_REQUEST, problem);
            return false;
        }
        for (String expect : in.getAll(HttpHeaders.EXPECT)) {
            if (!expect.trim().equalsIgnoreCase("100-continue")) {
                refuse(ErrorCode.EXPECTATION_FAILED, "the proxy cannot meet the expectation '"
                        + io.crossfade.config.InputText.abbreviate(expect, 100) + "'; only 100-continue is supported");
                return false;
            }
        }
        return true;
    }

    /** Answers a request the proxy will not forward, closing the connection (its body stays unread). */
    private void refuse(ErrorCode code, String message) {
        response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        HttpResponses.error(request, code, message);
        listener.metrics().answered(code.status(), System.nanoTime() - startNanos);
        finished = true;
    }

    /**
     * {@code handler}, run so that whatever it throws ends the exchange with
     * {@link #failedInternally} instead of escaping into Vert.x, which would log it and leave the
     * client waiting.
     */
    private <T> io.vertx.core.Handler<T> guarded(io.vertx.core.Handler<T> handler) {
        return event -> {
            try {
                handler.handle(event);
            } catch (RuntimeException | Error e) {
                failedInternally(e);
            }
        };
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
        upstream.exceptionHandler(guarded(this::upstreamRequestFailed));
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
            upstream.connect().onComplete(guarded(this::upgraded));
            return;
        }
        if (!in.contains(HttpHeaders.CONTENT_LENGTH) && in.contains(HttpHeaders.TRANSFER_ENCODING)) {
            upstream.setChunked(true);
        }
        upstream.response().onComplete(guarded(this::answered));
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
        request.handler(guarded(chunk -> {
            if (finished) {
                return;
            }
            arm();
            upstream.write(chunk);
            if (upstream.writeQueueFull()) {
                request.pause();
                upstream.drainHandler(guarded(v -> request.resume()));
            }
        }));
        request.exceptionHandler(guarded(t -> clientGone()));
        request.endHandler(guarded(v -> {
            if (!finished) {
                arm();
                upstream.end();
            }
        }));
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
                listener.client().request(target).onComplete(guarded(this::connected));
                return;
            }
            failedBeforeHeaders(timedOut ? UpstreamError.TIMEOUT : connectionLost(ar.cause()) ? UpstreamError.RESET
                    : UpstreamError.INVALID, ar.cause());
            return;
        }
        HttpClientResponse in = ar.result();
        upstreamResponse = in;
        int status = in.statusCode();
        if (status < 100 || status > 599) {
            // RFC 9110 §15: a status is 100-599; anything else cannot be passed on as an answer
            in.pause();
            upstreamResponse = null;
            failedBeforeHeaders(UpstreamError.INVALID, new IllegalStateException("status " + status
                    + " is outside 100-599"));
            return;
        }
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
        in.handler(guarded(chunk -> {
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
                response.drainHandler(guarded(v -> {
                    if (!finished) {
                        arm();
                        in.resume();
                    }
                }));
            }
        }));
        in.exceptionHandler(guarded(t -> failedMidResponse(timedOut ? UpstreamError.TIMEOUT : UpstreamError.RESET, t)));
        in.endHandler(guarded(v -> {
            stopTiming();
            if (!finished) {
                Future<Void> ended = whole != null ? response.end(whole) : response.end();
                if (close) {
                    ended.onComplete(done -> request.connection().close());
                }
                finish(status, !listener.options().errorStatuses().isError(status));
            }
        }));
    }

    /**
     * The forwarded request failed on its own (not the connection: a lost connection or a timeout
     * fails the response, which {@link #answered} handles, with its one retry). What remains is
     * the proxy's own failure, such as a header the HTTP codec refused to write.
     */
    private void upstreamRequestFailed(Throwable cause) {
        if (finished || timedOut || connectionLost(cause) || cause instanceof io.vertx.core.VertxException
                && "Connection was closed".equals(cause.getMessage())) {
            return;
        }
        failedInternally(cause);
    }

    /**
     * A failure of the proxy itself inside the exchange: logged with its stack (it is a bug or a
     * refusal by the HTTP codec), counted as {@code kind="internal"}, answered 502 in the error
     * shape while the response head is not out (else the connection is cut, so that the client sees
     * a truncated answer), and recorded as an error outcome for the migrations in effect.
     */
    private void failedInternally(Throwable cause) {
        stopTiming();
        if (finished) {
            LOG.warn("{} {}: failed after the exchange was over", request.method(), request.path(), cause);
            return;
        }
        LOG.warn("{} {}: the proxy failed while forwarding this request", request.method(), request.path(), cause);
        listener.metrics().upstreamError(UpstreamError.INTERNAL);
        if (upstream != null) {
            upstream.reset();
        }
        int status = ErrorCode.PROXY_INTERNAL.status();
        if (response.headWritten()) {
            status = response.getStatusCode();
            response.reset();
        } else if (!response.ended() && !response.closed()) {
            response.headers().clear();
            if (!request.isEnded()) {
                response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
            }
            HttpResponses.error(request, ErrorCode.PROXY_INTERNAL, "the proxy failed while forwarding this "
                    + "request to " + listener.options().upstream() + ": " + describe(cause));
            if (!request.isEnded()) {
                request.resume();
            }
        }
        if (injection == null) {
            finished = true;
            listener.metrics().answered(status, System.nanoTime() - startNanos);
            return;
        }
        finish(status, false);
    }

    /**
     * True for the one retry a request gets: the upstream connection closed or was reset before any
     * answer (not a timeout), the method is idempotent, the request had no body, and it has been read
     * whole.
     */
    private boolean retriable(Throwable cause) {
        if (retried || timedOut || !connectionLost(cause)) {
            return false;
        }
        HttpMethod method = request.method();
        boolean idempotent = method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.OPTIONS;
        MultiMap in = request.headers();
        boolean bodiless = !in.contains(HttpHeaders.TRANSFER_ENCODING)
                && (!in.contains(HttpHeaders.CONTENT_LENGTH) || "0".equals(in.get(HttpHeaders.CONTENT_LENGTH).trim()));
        return idempotent && bodiless && request.isEnded() && !ForwardedHeaders.isWebSocketUpgrade(in);
    }

    /**
     * True when {@code cause} is the connection going away: closed ({@code HttpClosedException}) or
     * reset (ECONNRESET, an {@code IOException}). Anything else that fails a response is the HTTP
     * decoder refusing what the upstream sent (a header HTTP forbids, a malformed head).
     */
    private static boolean connectionLost(Throwable cause) {
        return cause instanceof io.vertx.core.http.HttpClosedException || cause instanceof java.io.IOException;
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
        if (finished) {
            return;
        }
        listener.metrics().upstreamError(kind);
        if (upstream != null) {
            upstream.reset();
        }
        String message = switch (kind) {
            case TIMEOUT -> "the service at " + listener.options().upstream() + " did not answer within "
                    + io.crossfade.config.Durations.format(listener.options().upstreamTimeout());
            // words for the client; the transport's own message (errno, io_uring call) goes to the log
            case REFUSED -> "the upstream at " + hostPort(listener.options().upstream())
                    + (refusal(cause) ? " refused the connection" : " cannot be reached");
            case RESET -> "the service at " + listener.options().upstream() + " closed the connection without an "
                    + "answer";
            case INVALID -> "the service at " + listener.options().upstream() + " gave an answer HTTP does not "
                    + "allow";
            case INTERNAL -> "the proxy failed while forwarding this request";
        };
        logUpstreamFailure(message, cause);
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
            timer = listener.schedule(guarded(this::timerFired), listener.timeoutMillis() * 1_000_000L);
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
            timer = listener.schedule(guarded(this::timerFired), left);
            return;
        }
        deadline = NOT_TIMED;
        timedOut = true;
        if (upstream != null) {
            upstream.reset(0, TIMED_OUT);
        }
        if (upstreamResponse != null) {
            failedMidResponse(UpstreamError.TIMEOUT, TIMED_OUT);
        } else {
            // Answered here, not on the reset's echo: a connection stuck in the pool's queue, or one
            // whose request could not be written, may never report back.
            failedBeforeHeaders(UpstreamError.TIMEOUT, TIMED_OUT);
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

    /** {@code HOST:PORT} of the upstream URI, the port filled in from the scheme when it names none. */
    private static String hostPort(java.net.URI upstream) {
        int port = upstream.getPort() >= 0 ? upstream.getPort() : "https".equalsIgnoreCase(upstream.getScheme()) ? 443 : 80;
        return upstream.getHost() + ":" + port;
    }

    /** True when the connection was actively refused (nothing listens there), as opposed to unreachable. */
    private static boolean refusal(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof java.net.ConnectException
                    || (c.getMessage() != null && c.getMessage().contains("Connection refused"))) {
                return true;
            }
        }
        return false;
    }

    // When the upstream is down every request fails alike: one WARN with the detail per 10 s, the rest at DEBUG.
    private static final long WARN_GAP_NANOS = 10_000_000_000L;
    private static final java.util.concurrent.atomic.AtomicLong LAST_WARNED =
            new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - WARN_GAP_NANOS);

    private void logUpstreamFailure(String message, Throwable cause) {
        long now = System.nanoTime();
        long last = LAST_WARNED.get();
        boolean warn = now - last >= WARN_GAP_NANOS && LAST_WARNED.compareAndSet(last, now);
        if (warn) {
            LOG.warn("{} {}: {} ({}); further upstream failures in the next 10 s are logged at DEBUG",
                    request.method(), request.path(), message, describe(cause));
        } else {
            LOG.debug("{} {}: {} ({})", request.method(), request.path(), message, describe(cause));
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

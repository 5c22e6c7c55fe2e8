package io.crossfade.sidecar.proxy;

import io.crossfade.sidecar.http.ConnectionGuard;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's meters: {@code crossfade_proxy_requests_total{status_class}} (the status the client
 * got: {@code 1xx} .. {@code 5xx}), {@code crossfade_proxy_duration_seconds} (from the request's
 * headers to the response's last byte, a histogram) and
 * {@code crossfade_proxy_upstream_errors_total{kind}}, and the proxy listener's
 * {@code crossfade_http_timeouts_total{listener="proxy",phase="headers"}}. Every meter is registered up front, so
 * counting is an array index and an add. Thread-safe.
 */
final class ProxyMetrics {

    /** Why a forwarded request failed on the upstream's side. */
    enum UpstreamError {
        /** The upstream could not be connected to (nothing listening, connection refused or timed out). */
        REFUSED,
        /** No response headers, or no body bytes while the client was ready for them, within {@code --upstream-timeout}. */
        TIMEOUT,
        /** The upstream closed or broke the connection before the response was complete. */
        RESET,
        /**
         * The upstream answered with something HTTP does not allow: a status outside 100-599, a
         * header value with a control character, a head the decoder refuses.
         */
        INVALID,
        /**
         * The proxy itself failed inside the exchange (a header the HTTP codec refused, a bug): the
         * client got 502 and the exchange counted as an error outcome.
         */
        INTERNAL;

        final String label = name().toLowerCase(java.util.Locale.ROOT);
    }

    private final Counter[] byClass = new Counter[6];
    private final Map<UpstreamError, Counter> errors = new EnumMap<>(UpstreamError.class);
    private final Timer duration;
    private final Counter headerTimeouts;

    ProxyMetrics(MeterRegistry registry) {
        for (int c = 1; c <= 5; c++) {
            byClass[c] = Counter.builder("crossfade.proxy.requests").tag("status_class", c + "xx")
                    .description("requests answered by the proxy, by the class of the status the client got")
                    .register(registry);
        }
        for (UpstreamError kind : UpstreamError.values()) {
            errors.put(kind, Counter.builder("crossfade.proxy.upstream.errors").tag("kind", kind.label)
                    .description("forwarded requests that failed on the upstream's side, by kind").register(registry));
        }
        duration = Timer.builder("crossfade.proxy.duration")
                .description("time from a proxied request's headers to its response's end")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        headerTimeouts = ConnectionGuard.timeouts(registry, "proxy", "headers");
    }

    /** {@code crossfade_http_timeouts_total{listener="proxy",phase="headers"}}: slow request heads answered 408. */
    Counter headerTimeouts() {
        return headerTimeouts;
    }

    void answered(int status, long nanos) {
        int c = status / 100;
        if (c >= 1 && c <= 5) {
            byClass[c].increment();
        }
        duration.record(nanos, TimeUnit.NANOSECONDS);
    }

    void upstreamError(UpstreamError kind) {
        errors.get(kind).increment();
    }
}

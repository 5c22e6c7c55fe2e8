package io.crossfade.sidecar.metrics;

import io.crossfade.sidecar.http.Endpoints;
import io.crossfade.sidecar.http.ErrorCode;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.http.Routes;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.Set;

/** {@code GET /metrics}: Prometheus text format, produced on a worker thread. */
public final class MetricsEndpoint implements Endpoints {

    private static final CharSequence PROMETHEUS_TEXT =
            HttpHeaders.createOptimized("text/plain; version=0.0.4; charset=utf-8");

    private final Vertx vertx;
    private final CrossfadeMetrics metrics;

    public MetricsEndpoint(Vertx vertx, CrossfadeMetrics metrics) {
        this.vertx = vertx;
        this.metrics = metrics;
    }

    @Override
    public void addRoutes(Routes routes) {
        routes.add(Set.of(HttpMethod.GET), "/metrics", (request, params) -> scrape(request));
    }

    private void scrape(HttpServerRequest request) {
        vertx.executeBlocking(metrics::scrape, false).onComplete(result -> {
            if (result.succeeded()) {
                request.response().putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT).end(result.result());
            } else {
                HttpResponses.error(request, ErrorCode.INTERNAL, "metrics could not be produced");
            }
        });
    }
}

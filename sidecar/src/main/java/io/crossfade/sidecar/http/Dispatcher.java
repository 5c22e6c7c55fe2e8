package io.crossfade.sidecar.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's request handler: offers each request to its {@link Endpoints} in order and answers
 * 404 when none claims it. A bug in an endpoint answers 500 instead of leaving the client hanging.
 */
public final class Dispatcher implements Handler<HttpServerRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

    private final List<Endpoints> endpoints;

    public Dispatcher(List<Endpoints> endpoints) {
        this.endpoints = List.copyOf(endpoints);
    }

    @Override
    public void handle(HttpServerRequest request) {
        try {
            for (Endpoints e : endpoints) {
                if (e.handle(request)) {
                    return;
                }
            }
            HttpResponses.error(request, ErrorCode.NOT_FOUND, "nothing at " + request.path());
        } catch (RuntimeException e) {
            LOG.error("unhandled failure answering {} {}", request.method(), request.path(), e);
            HttpResponses.error(request, ErrorCode.INTERNAL, "the sidecar failed to answer; see its log");
        }
    }
}

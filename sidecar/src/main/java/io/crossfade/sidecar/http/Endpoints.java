package io.crossfade.sidecar.http;

import io.vertx.core.http.HttpServerRequest;

/**
 * One capability's routes on a listener. A listener offers each request to its endpoints in order;
 * the first that claims it answers it. Called on an event loop: must not block.
 */
@FunctionalInterface
public interface Endpoints {

    /**
     * @return true when this capability owns the request's path and has answered (or will answer) it
     */
    boolean handle(HttpServerRequest request);
}

package io.crossfade.sidecar.http;

/**
 * One capability's routes on a listener: it adds them to the listener's {@link Routes} table, which
 * checks path and method before any handler runs. Handlers are called on an event loop: they must
 * not block.
 */
@FunctionalInterface
public interface Endpoints {

    /** Adds this capability's routes to {@code routes}, in the order they should be tried. */
    void addRoutes(Routes routes);
}

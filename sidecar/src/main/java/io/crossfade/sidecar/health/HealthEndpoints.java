package io.crossfade.sidecar.health;

import io.crossfade.sidecar.guard.MigrationHealth;
import io.crossfade.sidecar.http.Endpoints;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.http.Routes;
import io.crossfade.sidecar.rollout.Published;
import io.crossfade.sidecar.rollout.PublishedState;
import java.util.Map;

/**
 * {@code GET /health} (liveness: 200 while the process can answer) and {@code GET /ready} (200 once
 * a snapshot is served; the body, a {@link ReadyView}, names the source, its version, any reload
 * error and each migration's state). A reload error lists every problem as {@code {"file", "line",
 * "key", "field", "reason", "message"}} (null where unknown), so scripts need not parse the message.
 * A rejected reload or a halted migration keeps {@code /ready} at 200: the instance still serves
 * correct values.
 *
 * <p>On a listener that is not bound to loopback (the image binds the ops listener to
 * {@code 0.0.0.0}), {@code /ready} answers its status code and {@code status} to everyone, but the
 * details (file-system paths, reasons, guard messages) only to a request with the admin token:
 * probes need only the code, and whoever else reaches the port learns nothing more.
 */
public final class HealthEndpoints implements Endpoints {

    private static final Map<String, String> ALIVE = Map.of("status", "ok");

    private final Published published;
    private final MigrationHealth health;
    private final boolean showPaths;
    private final java.util.function.Supplier<?> adminTokenProblem;
    private final java.util.function.Supplier<?> notifications;
    private final java.util.function.Predicate<io.vertx.core.http.HttpServerRequest> mayShowDetails;

    public HealthEndpoints(Published published) {
        this(published, MigrationHealth.NONE, true);
    }

    /**
     * @param health the guard's view of each migration, merged into its {@code /ready} entry
     * @param showPaths false on the read listener: services and whatever else reaches it learn
     *     nothing about the file system (no settings directory, no paths in problems)
     */
    public HealthEndpoints(Published published, MigrationHealth health, boolean showPaths) {
        this(published, health, showPaths, () -> null);
    }

    /**
     * @param adminTokenProblem why the admin token file cannot be used right now, or null; shown on
     *     {@code /ready} as {@code adminTokens} (the ops listener's, which names files)
     */
    public HealthEndpoints(Published published, MigrationHealth health, boolean showPaths,
            java.util.function.Supplier<?> adminTokenProblem) {
        this(published, health, showPaths, adminTokenProblem, () -> null, request -> true);
    }

    /**
     * @param notifications how the webhook notifications are doing, or null when none are configured;
     *     shown on {@code /ready} as {@code notifications}
     * @param mayShowDetails whether a request may see {@code /ready}'s details; the others get
     *     {@code {"status", "details"}} with the same status code, {@code details} saying how to see them
     */
    public HealthEndpoints(Published published, MigrationHealth health, boolean showPaths,
            java.util.function.Supplier<?> adminTokenProblem, java.util.function.Supplier<?> notifications,
            java.util.function.Predicate<io.vertx.core.http.HttpServerRequest> mayShowDetails) {
        this.notifications = notifications;
        this.mayShowDetails = mayShowDetails;
        this.published = published;
        this.health = health;
        this.showPaths = showPaths;
        this.adminTokenProblem = adminTokenProblem;
    }

    /** {@code /ready}'s body for a request that may not see its details. */
    record ReadyWithheld(String status, String details) {
        static final String DETAILS = "withheld: this listener is not bound to loopback, so /ready shows its details "
                + "only with the admin token (Authorization: Bearer <token>)";
    }

    /**
     * {@code /ready}'s body with the admin token file's problem and the notifications' status beside it,
     * each when there is one.
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    record ReadyWithExtras(@com.fasterxml.jackson.annotation.JsonUnwrapped ReadyView ready, Object adminTokens,
            Object notifications) {
    }

    @Override
    public void addRoutes(Routes routes) {
        routes.get("/health", (request, params) -> HttpResponses.json(request, 200, ALIVE))
                .get("/ready", (request, params) -> {
                    PublishedState state = published.current();
                    if (state == null) {
                        HttpResponses.json(request, 503, ReadyView.STARTING);
                    } else if (!mayShowDetails.test(request)) {
                        HttpResponses.json(request, 200, new ReadyWithheld(ReadyView.of(state, health,
                                published.storeStatus().orElse(null), published.stateDirectoryStatus().orElse(null), false).status(),
                                ReadyWithheld.DETAILS));
                    } else {
                        ReadyView ready = ReadyView.of(state, health, published.storeStatus().orElse(null),
                                published.stateDirectoryStatus().orElse(null), showPaths);
                        Object tokens = adminTokenProblem.get();
                        Object notified = notifications.get();
                        HttpResponses.json(request, 200, tokens == null && notified == null ? ready
                                : new ReadyWithExtras(ready, tokens, notified));
                    }
                });
    }
}

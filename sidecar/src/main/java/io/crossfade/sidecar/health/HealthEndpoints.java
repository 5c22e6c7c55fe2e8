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
 */
public final class HealthEndpoints implements Endpoints {

    private static final Map<String, String> ALIVE = Map.of("status", "ok");

    private final Published published;
    private final MigrationHealth health;
    private final boolean showPaths;

    public HealthEndpoints(Published published) {
        this(published, MigrationHealth.NONE, true);
    }

    /**
     * @param health the guard's view of each migration, merged into its {@code /ready} entry
     * @param showPaths false on the read listener: services and whatever else reaches it learn
     *     nothing about the file system (no settings directory, no paths in problems)
     */
    public HealthEndpoints(Published published, MigrationHealth health, boolean showPaths) {
        this.published = published;
        this.health = health;
        this.showPaths = showPaths;
    }

    @Override
    public void addRoutes(Routes routes) {
        routes.get("/health", (request, params) -> HttpResponses.json(request, 200, ALIVE))
                .get("/ready", (request, params) -> {
                    PublishedState state = published.current();
                    if (state == null) {
                        HttpResponses.json(request, 503, ReadyView.STARTING);
                    } else {
                        HttpResponses.json(request, 200,
                                ReadyView.of(state, health, published.storeStatus().orElse(null),
                                        published.stateDirectoryStatus().orElse(null), showPaths));
                    }
                });
    }
}

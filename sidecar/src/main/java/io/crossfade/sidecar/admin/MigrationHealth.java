package io.crossfade.sidecar.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * How a migration is doing in the guard's window, for the admin API's migration view (field
 * {@code health}) and the {@code ERRORS} column of {@code crossfade ctl status}. Supplied by the
 * guard; {@link #NONE} until there is one.
 *
 * <p>The document is the guard's view ({@code Guard#view}, a {@code GuardView} serialised by Jackson); the CLI reads at least this part
 * of it, and everything else is passed through:
 * <pre>{@code
 * {"guard": {"status": "healthy", "message": "...", "window": "60s",
 *            "outcomes": {"old": {"ok": 4812, "errors": 21, "errorRate": 0.0043},
 *                         "new": {"ok": 250,  "errors": 3,  "errorRate": 0.0119}}},
 *  "ramp": null}
 * }</pre>
 * {@code ok} and {@code errors} count outcomes in the window; {@code errorRate} is
 * {@code errors / (ok + errors)}, or null when there are none.
 */
@FunctionalInterface
public interface MigrationHealth {

    /** No health information: the view shows {@code "health": null}. */
    MigrationHealth NONE = key -> Optional.empty();

    /**
     * The health of the migration of {@code key}, or empty when nothing is known (yet).
     * Called on an event loop for every admin view: must be cheap, must not block, must not throw.
     */
    Optional<JsonNode> describe(String key);
}

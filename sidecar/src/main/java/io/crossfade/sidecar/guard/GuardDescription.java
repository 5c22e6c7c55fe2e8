package io.crossfade.sidecar.guard;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The guard's and the ramp's view of one migration, shared by {@code /ready} (its fields merged into
 * the migration's entry), the admin API's migration view ({@code health}) and {@code crossfade ctl}:
 * <pre>{@code
 * {"guard": {"status": "healthy", "message": "...", "window": "1m",
 *            "outcomes": {"old": {"ok": 4812, "errors": 21, "errorRate": 0.0043},
 *                         "new": {"ok": 250,  "errors": 3,  "errorRate": 0.0119}},
 *            "rule": {...}, "lastTrip": null},
 *  "ramp": {...}}
 * }</pre>
 * {@code ramp} is left out for a migration without steps. The two parts are still the guard's own
 * documents; they become typed records with the guard's rewrite, and only this class changes then.
 *
 * @param guard the guard's status, window counts, rule and last trip
 * @param ramp where the migration stands on its steps, or null when it has none
 */
public record GuardDescription(JsonNode guard, @JsonInclude(JsonInclude.Include.NON_NULL) JsonNode ramp) {

    /** The window's outcome counts of {@code variant} ({@code old} or {@code new}): {@code ok}, {@code errors}, {@code errorRate}. */
    public JsonNode outcomes(String variant) {
        return guard == null ? null : guard.path("outcomes").get(variant);
    }

    /** The window's error rate of {@code variant}, or null when it has no outcomes (or nothing is known). */
    public Double errorRate(String variant) {
        JsonNode outcomes = outcomes(variant);
        JsonNode rate = outcomes == null ? null : outcomes.get("errorRate");
        return rate != null && rate.isNumber() ? rate.asDouble() : null;
    }
}

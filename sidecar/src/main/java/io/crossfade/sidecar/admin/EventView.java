package io.crossfade.sidecar.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.rollout.AuditEvent;
import java.time.Instant;

/**
 * An audit event as {@code GET /admin/v1/events} shows it: the public fields only (the full record
 * an event carries for crash recovery stays inside the state directory).
 *
 * @param seq strictly increasing sequence number; page on with {@code ?since=<seq>}
 * @param time when the change was made
 * @param actor the admin token's name, {@code guard}, {@code ramp} or {@code reload}
 * @param key the setting key
 * @param migration the migration id
 * @param action {@code created}, {@code retired}, {@code steps_changed}, {@code set_percent},
 *     {@code pause}, {@code resume}, {@code rollback}, {@code complete}, {@code halt} or {@code step}
 * @param from {@code {"percent", "state"}} before, null when the migration was created
 * @param to {@code {"percent", "state"}} after, null when it was retired
 * @param reason the reason given, or null
 * @param instance in a fleet, the sidecar that made the change; absent for a sidecar's own state
 */
public record EventView(long seq, Instant time, String actor, String key, String migration, String action,
        JsonNode from, JsonNode to, String reason, @JsonInclude(JsonInclude.Include.NON_NULL) String instance) {

    /** The public view of {@code event}. */
    public static EventView of(AuditEvent event) {
        return new EventView(event.seq(), event.time(), event.actor(), event.key(), event.migration(), event.action(),
                event.from(), event.to(), event.reason(), event.instance());
    }
}

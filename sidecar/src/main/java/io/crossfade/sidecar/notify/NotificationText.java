package io.crossfade.sidecar.notify;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.rollout.AuditEvent;
import java.util.Set;

/**
 * The sentence a notification says to people, from one audit event: "Crossfade halted db.pool.size
 * at 25 %: the new variant's error rate is above … (instance checkout-7d9f, fleet checkout)". Pure.
 */
final class NotificationText {

    /** The audit actions that are state changes of a migration, and so are announced. */
    static final Set<String> ANNOUNCED = Set.of("halt", "rollback", "set_percent", "pause", "resume", "complete", "step",
            "store_reset");

    private static final String GUARD_PREFIX = "guard tripped: ";

    private NotificationText() {
    }

    /**
     * @param event the change
     * @param instance the sidecar that made it (the event's own {@code instance} wins)
     * @param fleet the fleet's name, or null for a sidecar of its own
     */
    static String of(AuditEvent event, String instance, String fleet) {
        // The guard, the ramp and the store's own repairs are Crossfade; an operator is named by their token.
        String who = "guard".equals(event.actor()) || "ramp".equals(event.actor()) || "store_reset".equals(event.action())
                ? "Crossfade" : event.actor();
        String key = event.key();
        String at = percent(event.from());
        String to = percent(event.to());
        String what = switch (event.action()) {
            case "halt" -> who + " halted " + key + " at " + at;
            case "rollback" -> who + " rolled back " + key + " from " + at + " to " + to;
            case "set_percent" -> who + " set " + key + " from " + at + " to " + to;
            case "pause" -> who + " paused " + key + " at " + at;
            case "resume" -> who + " resumed " + key + " at " + to;
            case "complete" -> who + " completed " + key + ": " + to + " on the new value";
            case "step" -> who + " stepped " + key + " up from " + at + " to " + to + " (ramp)";
            case "store_reset" -> who + " found the fleet store reset and re-seeded it"
                    + (key == null ? "" : " (" + key + ")");
            default -> who + " " + event.action() + " " + key;
        };
        String reason = event.reason();
        if (reason != null && reason.startsWith(GUARD_PREFIX)) {
            reason = reason.substring(GUARD_PREFIX.length());
        }
        String where = "instance " + (event.instance() != null ? event.instance() : instance)
                + (fleet == null ? "" : ", fleet " + fleet);
        return what + (reason == null || reason.isBlank() ? "" : ": " + reason) + " (" + where + ")";
    }

    /** {@code text} for Slack's {@code text} field, where {@code &}, {@code <} and {@code >} are markup. */
    static String forSlack(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String percent(JsonNode side) {
        return side == null || !side.hasNonNull("percent") ? "?" : side.get("percent").decimalValue().toPlainString() + " %";
    }
}

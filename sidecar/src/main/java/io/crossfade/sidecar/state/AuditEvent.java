package io.crossfade.sidecar.state;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One line of the audit log: who changed which migration, how, and why.
 *
 * @param seq strictly increasing sequence number, from 1
 * @param time when the change was made
 * @param actor the admin token's name, {@code guard}, {@code ramp} or {@code reload}
 * @param key the setting key
 * @param migration the migration id
 * @param action {@code created}, {@code retired}, {@code restored}, {@code steps_changed}, {@code set_percent}, {@code pause}, {@code resume},
 *     {@code rollback}, {@code complete}, {@code halt}, {@code step}
 * @param from the migration before ({@code {"percent", "state"}}), or null when it was created
 * @param to the migration after, or null when it was retired
 * @param reason the reason given
 * @param record the full record after the change (null when retired); replayed after a crash
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record AuditEvent(
        long seq,
        Instant time,
        String actor,
        String key,
        String migration,
        String action,
        JsonNode from,
        JsonNode to,
        String reason,
        MigrationRecord record) {

    public static final String CREATED = "created";
    public static final String RETIRED = "retired";
    /** A kept migration refitted to edited ramp steps. */
    public static final String STEPS_CHANGED = "steps_changed";
    /** A retired migration declared again, resuming from its tombstone with its old revision. */
    public static final String RESTORED = "restored";

    /** A copy with the given sequence number. */
    public AuditEvent withSeq(long newSeq) {
        // A restored record keeps the revision operators last saw: nothing about it changed since.
        MigrationRecord stampedRecord = record == null || RESTORED.equals(action) ? record
                : record.stamped(newSeq, time, reason);
        return new AuditEvent(newSeq, time, actor, key, migration, action, from, to, reason, stampedRecord);
    }
}

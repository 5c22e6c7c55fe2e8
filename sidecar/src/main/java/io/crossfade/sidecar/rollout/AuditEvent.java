package io.crossfade.sidecar.rollout;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One entry of the audit trail: who changed which migration, how, and why. Every event carries the
 * full record after the change, so a store can rebuild the state from its trail and other sidecars
 * can apply a change from its event alone.
 *
 * @param seq strictly increasing sequence number, from 1; the revision of the record it carries
 * @param time when the change was made
 * @param actor the admin token's name, {@code guard}, {@code ramp} or {@code reload}
 * @param key the setting key
 * @param migration the migration id
 * @param action {@code created}, {@code retired}, {@code restored}, {@code forgotten}, {@code steps_changed}, {@code set_percent}, {@code pause}, {@code resume},
 *     {@code rollback}, {@code complete}, {@code halt}, {@code step}
 * @param from the migration before ({@code {"percent", "state"}}), or null when it was created
 * @param to the migration after, or null when it was retired
 * @param reason the reason given
 * @param record the full record after the change (null when retired); replayed after a crash
 * @param instance the sidecar that made the change when the store is shared by a fleet; null (and
 *     not written) for a sidecar's own state directory
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
        MigrationRecord record,
        @JsonInclude(JsonInclude.Include.NON_NULL) String instance) {

    public static final String CREATED = "created";
    public static final String RETIRED = "retired";
    /** A kept migration refitted to edited ramp steps. */
    public static final String STEPS_CHANGED = "steps_changed";
    /** A retired migration declared again, resuming from its tombstone with its old revision. */
    public static final String RESTORED = "restored";
    /** A tombstone dropped after its retention ({@code --retain-retired}): the migration would start over. */
    public static final String FORGOTTEN = "forgotten";
    /**
     * A fleet store found empty or rewound and re-seeded from the newest state a sidecar held: no key,
     * no migration, no record; {@code from} holds the store's revision as found, {@code to} the
     * revision restored.
     */
    public static final String STORE_RESET = "store_reset";

    /** An event not yet attributed to an instance (a sidecar's own state directory). */
    public AuditEvent(long seq, Instant time, String actor, String key, String migration, String action,
            JsonNode from, JsonNode to, String reason, MigrationRecord record) {
        this(seq, time, actor, key, migration, action, from, to, reason, record, null);
    }

    /** A copy with the given sequence number; the record it carries gets that number as its revision. */
    public AuditEvent withSeq(long newSeq) {
        // A restored record keeps the revision operators last saw: nothing about it changed since.
        MigrationRecord stampedRecord = record == null || RESTORED.equals(action) ? record
                : record.stamped(newSeq, time, reason);
        return new AuditEvent(newSeq, time, actor, key, migration, action, from, to, reason, stampedRecord, instance);
    }

    /** A copy made by {@code by}. */
    public AuditEvent madeBy(String by) {
        return new AuditEvent(seq, time, actor, key, migration, action, from, to, reason, record, by);
    }
}

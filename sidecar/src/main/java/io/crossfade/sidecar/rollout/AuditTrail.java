package io.crossfade.sidecar.rollout;

import java.util.List;

/** The audit trail of a migration store, for reading: {@code GET /admin/v1/events}. Thread-safe. */
public interface AuditTrail {

    /** Events with {@code seq > since}, only for {@code key} unless it is null, oldest first, at most {@code limit}. */
    List<AuditEvent> page(long since, String key, int limit);

    /** The sequence number of the last event, 0 when there is none. */
    long lastSeq();
}

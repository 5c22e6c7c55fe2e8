package io.crossfade.sidecar.guard;

import java.util.Objects;

/**
 * A migration's guard evidence as it is stored beside the migration's state, so that a restarted
 * sidecar, or a fleet's new judge, resumes the same test instead of starting a new one (a deploy is
 * then no new chance to halt falsely). Immutable; serialised by Jackson.
 *
 * @param migrationId the migration identity the evidence belongs to
 * @param revision the migration record's revision when it was saved: a restart resumes it only when
 *     no change since then made the migration run again (a resume, a set after a rollback), since
 *     such a change starts the test afresh
 * @param units the per-unit detector
 * @param requests the aggregated-counts detector
 */
public record StoredEvidence(String migrationId, long revision, ChangeEvidence.State units,
        ChangeEvidence.State requests) {

    public StoredEvidence {
        Objects.requireNonNull(migrationId, "migrationId");
        Objects.requireNonNull(units, "units");
        Objects.requireNonNull(requests, "requests");
    }
}

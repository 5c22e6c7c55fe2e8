package io.crossfade.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * A migration as readers see it in one snapshot: its spec, its identity, its current status and
 * its cohorts (the files' and the operator's).
 *
 * @param id {@link MigrationSpec#id()}, computed once
 * @param spec what the files declare
 * @param status current percent and state
 * @param targeting the cohorts in effect: the spec's, with the operator's lists added
 */
public record ActiveMigration(String id, MigrationSpec spec, MigrationStatus status, Targeting targeting) {

    public ActiveMigration {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(targeting, "targeting");
    }

    /** A migration with the files' cohorts only. */
    public ActiveMigration(String id, MigrationSpec spec, MigrationStatus status) {
        this(id, spec, status, spec.targeting());
    }

    public ActiveMigration(MigrationSpec spec, MigrationStatus status) {
        this(spec.id(), spec, status);
    }

    /**
     * Where {@code unit} is and why: excluded (old), else included (new), else by {@link Bucketing}
     * at the effective percent. Cohorts do not apply once the migration is rolled back (everyone on
     * {@code from}) or completed (everyone on {@code to}). Allocation-free; safe on any thread.
     */
    public Placement placementFor(String unit) {
        MigrationState state = status.state();
        if (state != MigrationState.ROLLED_BACK && state != MigrationState.COMPLETED) {
            Placement p = targeting.place(unit);
            if (p != null) {
                return p;
            }
        }
        return Bucketing.isNew(spec.salt(), unit, status.effectivePercent()) ? Placement.SPLIT_NEW : Placement.SPLIT_OLD;
    }

    /** True when cohorts place units in this migration's current state. */
    public boolean cohortsInEffect() {
        MigrationState state = status.state();
        return !targeting.isEmpty() && state != MigrationState.ROLLED_BACK && state != MigrationState.COMPLETED;
    }

    /** The side {@code unit} is on: {@link #placementFor}'s variant. */
    public Variant variantFor(String unit) {
        return placementFor(unit).variant();
    }

    /** The value a unit on {@code variant} reads. */
    public JsonNode valueOf(Variant variant) {
        return variant == Variant.NEW ? spec.to() : spec.from();
    }
}

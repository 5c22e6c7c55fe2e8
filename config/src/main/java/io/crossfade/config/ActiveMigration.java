package io.crossfade.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * A migration as readers see it in one snapshot: its spec, its identity and its current status.
 *
 * @param id {@link MigrationSpec#id()}, computed once
 * @param spec what the files declare
 * @param status current percent and state
 */
public record ActiveMigration(String id, MigrationSpec spec, MigrationStatus status) {

    public ActiveMigration {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(status, "status");
    }

    public ActiveMigration(MigrationSpec spec, MigrationStatus status) {
        this(spec.id(), spec, status);
    }

    /** The side {@code unit} is on, by {@link Bucketing} at the effective percent. */
    public Variant variantFor(String unit) {
        return Bucketing.variant(spec.salt(), unit, status.effectivePercent());
    }

    /** The value a unit on {@code variant} reads. */
    public JsonNode valueOf(Variant variant) {
        return variant == Variant.NEW ? spec.to() : spec.from();
    }
}

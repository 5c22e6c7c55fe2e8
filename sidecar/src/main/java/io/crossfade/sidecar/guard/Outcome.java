package io.crossfade.sidecar.guard;

import io.crossfade.config.Variant;
import java.util.Objects;

/** One entry of a {@code POST /v1/outcomes} batch: how requests of a migrated setting went. */
public sealed interface Outcome {

    /** The setting key the outcome is about. */
    String key();

    /**
     * One unit's outcome; the sidecar attributes it to the variant the unit is bucketed into at the
     * migration's current percent.
     *
     * @param key the setting key
     * @param unit the unit (user, tenant, request id) the service read the setting for
     * @param ok true for a success, false for an error
     */
    record PerUnit(String key, String unit, boolean ok) implements Outcome {
        public PerUnit {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(unit, "unit");
        }
    }

    /**
     * Counts the service aggregated itself, per variant (e.g. from the {@code variant} of its reads).
     *
     * @param key the setting key
     * @param variant {@link Variant#OLD} or {@link Variant#NEW}
     * @param ok successes
     * @param errors errors
     */
    record Aggregated(String key, Variant variant, long ok, long errors) implements Outcome {
        public Aggregated {
            Objects.requireNonNull(key, "key");
            if (variant != Variant.OLD && variant != Variant.NEW) {
                throw new IllegalArgumentException("variant must be old or new, got " + variant);
            }
            if (ok < 0 || errors < 0) {
                throw new IllegalArgumentException("counts cannot be negative");
            }
        }
    }
}

package io.crossfade.sidecar.ofrep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.MigrationState;
import io.crossfade.config.MigrationStatus;
import io.crossfade.config.Percent;
import io.crossfade.config.Resolution;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.read.ResponseForm;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * OFREP's {@code evaluationSuccess}: one setting as an OpenFeature flag, for one unit. The mapping:
 * {@code value} is what {@code GET /v1/settings/{key}} answers; {@code variant} is {@code static},
 * {@code old} or {@code new}; {@code reason} is {@code TARGETING_MATCH} when a cohort placed the unit
 * (its migration's {@code exclude} or {@code include}), else {@code SPLIT} while a blend is in effect
 * (a running, paused or halted migration strictly between 0 % and 100 %), else {@code STATIC};
 * {@code metadata} is flat: {@code version} always, and {@code migrationId}, {@code percent} (the
 * effective percent, as {@code /v1/settings} shows it) and {@code state} for a setting with a
 * migration, and {@code placement} ({@code excluded}, {@code included}, {@code percent}) and
 * {@code cohort} (when a named cohort placed the unit) while the migration's cohorts are in effect.
 */
public record EvaluationSuccess(String key, JsonNode value, String variant, String reason, Map<String, Object> metadata) {

    /** The OFREP body as a form of the read path's prepared answers. */
    public static final ResponseForm FORM = EvaluationSuccess::render;

    /** What a unit reading {@code resolution} in {@code snapshot} gets. */
    static EvaluationSuccess of(SettingsSnapshot snapshot, Resolution resolution) {
        ActiveMigration migration = resolution.migration();
        Map<String, Object> metadata = new LinkedHashMap<>();
        if (migration != null) {
            metadata.put("migrationId", migration.id());
            metadata.put("percent", Percent.toDecimal(migration.status().effectivePercent()));
            metadata.put("state", migration.status().state().wireName());
            if (migration.cohortsInEffect() && resolution.placement() != null) {
                metadata.put("placement", io.crossfade.sidecar.read.PreparedSetting.placementName(resolution.placement()));
                if (resolution.placement().cohort() != null) {
                    metadata.put("cohort", resolution.placement().cohort());
                }
            }
        }
        metadata.put("version", snapshot.version());
        String reason = resolution.placement() != null && resolution.placement().byCohort()
                && migration.cohortsInEffect() ? "TARGETING_MATCH" : reason(migration);
        return new EvaluationSuccess(resolution.key(), resolution.value(), resolution.variant().wireName(),
                reason, metadata);
    }

    /** {@code SPLIT} while units are split between two values, else {@code STATIC}. */
    static String reason(ActiveMigration migration) {
        if (migration == null) {
            return "STATIC";
        }
        MigrationStatus status = migration.status();
        boolean blending = status.state() == MigrationState.RUNNING || status.state() == MigrationState.PAUSED
                || status.state() == MigrationState.HALTED;
        int percent = status.effectivePercent();
        return blending && percent > 0 && percent < Percent.FULL ? "SPLIT" : "STATIC";
    }

    private static byte[] render(SettingsSnapshot snapshot, Resolution resolution) {
        try {
            return Json.MAPPER.writeValueAsBytes(of(snapshot, resolution));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}

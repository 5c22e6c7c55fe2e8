package io.crossfade.sidecar.read;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.Bucketing;
import io.crossfade.config.Percent;
import io.crossfade.config.Placement;
import io.crossfade.config.Resolution;
import io.crossfade.config.Setting;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.json.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Every answer one key can get in one snapshot, serialised up front: per variant the full document,
 * the bare value and each further {@link ResponseForm} of the cache. Answering a read is then bucketing the unit (for a migrated key) and an array
 * index, with no allocation. Immutable; safe to share between event loops.
 */
public final class PreparedSetting {

    /** Slots per variant before the further forms: the document and the bare value. */
    private static final int OWN_FORMS = 2;

    private final long version;
    private final ActiveMigration migration;
    private final int stride;
    /**
     * Indexed by {@code variant.ordinal() * stride + form}, where form 0 is the document, 1 the bare
     * value and {@code 2 + i} the cache's i-th further form; null for variants the key cannot have.
     */
    private final PreparedResponse[] responses;
    /**
     * The row of each cohort placement: after the variants' rows, one per cohort and side, so that
     * the answer names the cohort. Read-only after construction.
     */
    private final java.util.IdentityHashMap<Placement, Integer> cohortRows = new java.util.IdentityHashMap<>();

    private PreparedSetting(SettingsSnapshot snapshot, Setting setting, List<ResponseForm> forms) {
        this.version = snapshot.version();
        this.migration = snapshot.migration(setting.key());
        this.stride = OWN_FORMS + forms.size();
        List<Placement> cohorts = migration == null || !migration.cohortsInEffect() ? List.of()
                : migration.targeting().placements();
        this.responses = new PreparedResponse[(Variant.values().length + cohorts.size()) * stride];
        if (migration == null) {
            prepare(snapshot, new Resolution(setting.key(), setting.value(), Variant.STATIC, null), Variant.STATIC.ordinal(),
                    forms);
        } else {
            prepare(snapshot, new Resolution(setting.key(), migration.valueOf(Variant.OLD), Variant.OLD, migration,
                    Placement.SPLIT_OLD), Variant.OLD.ordinal(), forms);
            prepare(snapshot, new Resolution(setting.key(), migration.valueOf(Variant.NEW), Variant.NEW, migration,
                    Placement.SPLIT_NEW), Variant.NEW.ordinal(), forms);
            int row = Variant.values().length;
            for (Placement p : cohorts) {
                cohortRows.put(p, row);
                prepare(snapshot, new Resolution(setting.key(), migration.valueOf(p.variant()), p.variant(), migration, p),
                        row++, forms);
            }
        }
    }

    /** The prepared answers of {@code key} in {@code snapshot}, or null when it has no such setting. */
    static PreparedSetting of(SettingsSnapshot snapshot, String key) {
        return of(snapshot, key, List.of());
    }

    /** As {@link #of(SettingsSnapshot, String)}, with {@code forms} prepared too. */
    static PreparedSetting of(SettingsSnapshot snapshot, String key, List<ResponseForm> forms) {
        Setting setting = snapshot.spec().settings().get(key);
        return setting == null ? null : new PreparedSetting(snapshot, setting, forms);
    }

    /** Version of the snapshot these answers were prepared from. */
    long version() {
        return version;
    }

    /**
     * The answer for {@code unit}: the variant is decided exactly as {@link SettingsSnapshot#resolve}
     * decides it ({@link ActiveMigration#variantFor}).
     */
    PreparedResponse response(String unit, boolean bare) {
        return inForm(unit, bare ? 1 : 0);
    }

    /** The answer for {@code unit} in the cache's further form number {@code index}, decided as {@link #response}. */
    PreparedResponse response(String unit, int index) {
        return inForm(unit, OWN_FORMS + index);
    }

    private PreparedResponse inForm(String unit, int form) {
        if (migration == null) {
            return responses[Variant.STATIC.ordinal() * stride + form];
        }
        Placement p = migration.placementFor(unit);
        int row = p.byCohort() ? cohortRows.get(p) : p.variant().ordinal();
        return responses[row * stride + form];
    }

    private void prepare(SettingsSnapshot snapshot, Resolution r, int row, List<ResponseForm> forms) {
        // a cohort's answer differs from the percent's (it names the cohort): its own tag
        String tag = row < Variant.values().length ? r.variant().wireName() : r.variant().wireName() + "-c" + row;
        CharSequence etag = HttpHeaders.createOptimized("\"" + snapshot.version() + "-" + tag + "\"");
        CharSequence variantHeader = HttpHeaders.createOptimized(r.variant().wireName());
        int slot = row * stride;
        responses[slot] = new PreparedResponse(Buffer.buffer(document(snapshot, r)), etag, variantHeader, r.variant());
        responses[slot + 1] = new PreparedResponse(Buffer.buffer(bare(r)), etag, variantHeader, r.variant());
        for (int i = 0; i < forms.size(); i++) {
            responses[slot + OWN_FORMS + i] = new PreparedResponse(Buffer.buffer(forms.get(i).render(snapshot, r)),
                    etag, variantHeader, r.variant());
        }
    }

    private static byte[] document(SettingsSnapshot snapshot, Resolution r) {
        ObjectNode doc = Json.MAPPER.createObjectNode();
        doc.put("key", r.key());
        doc.set("value", r.value());
        doc.put("variant", r.variant().wireName());
        doc.put("version", snapshot.version());
        if (r.migration() == null) {
            doc.putNull("migration");
        } else {
            ObjectNode m = doc.putObject("migration");
            m.put("id", r.migration().id());
            m.put("percent", Percent.toDecimal(r.migration().status().effectivePercent()));
            m.put("state", r.migration().status().state().wireName());
            if (r.migration().cohortsInEffect()) {
                Placement p = r.placement();
                doc.put("placement", placementName(p));
                doc.put("cohort", p.cohort());
            }
        }
        return write(doc);
    }

    /** {@code excluded}, {@code included} or {@code percent}: how the unit got its side. */
    public static String placementName(Placement p) {
        switch (p.kind()) {
            case EXCLUDED_OLD: return "excluded";
            case INCLUDED_NEW: return "included";
            default: return "percent";
        }
    }

    private static byte[] bare(Resolution r) {
        return write(r.value());
    }

    private static byte[] write(Object value) {
        try {
            return Json.MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}

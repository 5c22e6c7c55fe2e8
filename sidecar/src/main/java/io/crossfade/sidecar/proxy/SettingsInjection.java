package io.crossfade.sidecar.proxy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.Setting;
import io.crossfade.config.SettingsProblem;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.SettingsSpec;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.guard.Outcome;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the proxy adds to the requests of one snapshot: {@code X-Crossfade-Settings} (compact JSON of
 * the keys matching {@code --inject}, as the request's unit reads them) and
 * {@code X-Crossfade-Variants} ({@code key=new, key=old} for each migration whose blend is in effect:
 * running, paused or halted), prepared once per snapshot so that a request costs one bucketing hash
 * per migration in effect and an array index (with more than four migrations in effect, a string
 * concatenation). The JSON escapes every character RFC 9110 does not allow in a field value, in keys
 * and values alike (the controls, DEL, and everything beyond ASCII: {@link FieldValueEscapes}), so
 * the header is printable ASCII whatever the values hold and no HTTP codec can refuse it.
 * Immutable; thread-safe.
 */
public final class SettingsInjection {

    /** Most bytes {@code X-Crossfade-Settings} may take. */
    public static final int MAX_SETTINGS_HEADER_BYTES = 8192;

    /**
     * Most migrations in effect for which every combination of sides is prepared with the snapshot
     * (2^4 = 16 assignments and their outcomes: at most 128 KiB of settings headers); beyond, each
     * request renders its own.
     */
    private static final int MAX_PREPARED_MIGRATIONS = 4;

    private static final ObjectWriter COMPACT = Json.MAPPER.writer().with(JsonWriteFeature.ESCAPE_NON_ASCII)
            .with(FieldValueEscapes.INSTANCE);

    private final SettingsSnapshot snapshot;
    private final ActiveMigration[] inEffect;
    private final String[] variantPrefixes;
    private final boolean injects;
    /** The header when no injected key depends on the unit; else null. */
    private final String constantSettings;
    private final Entry[] entries;
    /** By combination (bit i set: the unit is on migration i's new side); null beyond {@link #MAX_PREPARED_MIGRATIONS}. */
    private final Assignment[] prepared;
    private final List<Outcome>[] okOutcomes;
    private final List<Outcome>[] errorOutcomes;

    /** One injected key: its fragment {@code "key":value}, or per variant when a blend is in effect. */
    private record Entry(String fixed, int migration, String oldFragment, String newFragment) {
    }

    /**
     * What one request got: the variant of each migration in effect (in {@link #migrationKeys()}
     * order) and the two header values (null when not added).
     */
    public record Assignment(Variant[] variants, String settingsHeader, String variantsHeader) {
    }

    private SettingsInjection(SettingsSnapshot snapshot, InjectPatterns patterns) {
        this.snapshot = snapshot;
        List<ActiveMigration> effect = new ArrayList<>();
        Map<String, Integer> indexOf = new HashMap<>();
        for (ActiveMigration m : snapshot.migrations().values()) {
            MigrationState state = m.status().state();
            if (state == MigrationState.RUNNING || state == MigrationState.PAUSED || state == MigrationState.HALTED) {
                indexOf.put(m.spec().key(), effect.size());
                effect.add(m);
            }
        }
        inEffect = effect.toArray(new ActiveMigration[0]);
        variantPrefixes = new String[inEffect.length];
        for (int i = 0; i < inEffect.length; i++) {
            variantPrefixes[i] = inEffect[i].spec().key() + "=";
        }
        injects = !patterns.isEmpty();
        List<Entry> list = new ArrayList<>();
        boolean constant = true;
        for (Setting setting : new TreeMap<>(snapshot.spec().settings()).values()) {
            String key = setting.key();
            if (!patterns.matches(key)) {
                continue;
            }
            Integer index = indexOf.get(key);
            if (index == null) {
                // no migration, or one that is rolled back or completed: the same value for every unit
                list.add(new Entry(fragment(key, snapshot.resolve(key, "").value()), -1, null, null));
            } else {
                ActiveMigration m = inEffect[index];
                list.add(new Entry(null, index, fragment(key, m.valueOf(Variant.OLD)), fragment(key, m.valueOf(Variant.NEW))));
                constant = false;
            }
        }
        entries = list.toArray(new Entry[0]);
        constantSettings = injects && constant ? render(null) : null;
        if (inEffect.length <= MAX_PREPARED_MIGRATIONS) {
            int combinations = 1 << inEffect.length;
            prepared = new Assignment[combinations];
            @SuppressWarnings("unchecked")
            List<Outcome>[] ok = new List[combinations];
            @SuppressWarnings("unchecked")
            List<Outcome>[] error = new List[combinations];
            for (int mask = 0; mask < combinations; mask++) {
                Variant[] variants = new Variant[inEffect.length];
                for (int i = 0; i < inEffect.length; i++) {
                    variants[i] = (mask & (1 << i)) != 0 ? Variant.NEW : Variant.OLD;
                }
                prepared[mask] = render(variants, variantsHeader(variants));
                ok[mask] = List.copyOf(outcomesOf(variants, true));
                error[mask] = List.copyOf(outcomesOf(variants, false));
            }
            okOutcomes = ok;
            errorOutcomes = error;
        } else {
            prepared = null;
            okOutcomes = null;
            errorOutcomes = null;
        }
    }

    /** Prepares the headers of {@code snapshot}'s requests. */
    public static SettingsInjection prepare(SettingsSnapshot snapshot, InjectPatterns patterns) {
        return new SettingsInjection(snapshot, patterns);
    }

    /** The snapshot this was prepared from. */
    public SettingsSnapshot snapshot() {
        return snapshot;
    }

    /**
     * Buckets {@code unit} into each migration in effect and renders both headers: one bucketing
     * hash per migration and, up to {@value #MAX_PREPARED_MIGRATIONS} migrations, an array index
     * into the assignments prepared with the snapshot. The returned assignment may be shared by
     * other requests; its array must not be changed.
     */
    public Assignment assign(String unit) {
        if (prepared != null) {
            int mask = 0;
            for (int i = 0; i < inEffect.length && mask >= 0; i++) {
                Variant v = inEffect[i].variantFor(unit);
                mask = v == Variant.NEW ? mask | (1 << i) : v == Variant.OLD ? mask : -1;
            }
            if (mask >= 0) {
                return prepared[mask];
            }
        }
        Variant[] variants = new Variant[inEffect.length];
        for (int i = 0; i < inEffect.length; i++) {
            variants[i] = inEffect[i].variantFor(unit);
        }
        return render(variants, variantsHeader(variants));
    }

    private Assignment render(Variant[] variants, String variantsHeader) {
        String settings = !injects ? null : constantSettings != null ? constantSettings : render(variants);
        return new Assignment(variants, settings, variantsHeader);
    }

    private String variantsHeader(Variant[] variants) {
        if (variants.length == 0) {
            return null;
        }
        StringBuilder sb = new StringBuilder(variants.length * 24);
        for (int i = 0; i < variants.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(variantPrefixes[i]).append(variants[i].wireName());
        }
        return sb.toString();
    }

    /** True when some migration's blend is in effect, so that responses are outcomes. */
    public boolean hasMigrationsInEffect() {
        return inEffect.length > 0;
    }

    /**
     * One outcome per migration in effect, on the side the request's unit was on, in the form
     * {@code POST /v1/outcomes} takes (aggregated per variant), so the guard's own rules decide what
     * counts: outcomes of a paused or halted migration are counted as dropped there.
     */
    public List<Outcome> outcomes(Assignment assignment, boolean ok) {
        if (prepared != null) {
            int mask = 0;
            Variant[] variants = assignment.variants();
            for (int i = 0; i < variants.length; i++) {
                if (variants[i] == Variant.NEW) {
                    mask |= 1 << i;
                } else if (variants[i] != Variant.OLD) {
                    return outcomesOf(variants, ok);
                }
            }
            return ok ? okOutcomes[mask] : errorOutcomes[mask];
        }
        return outcomesOf(assignment.variants(), ok);
    }

    /**
     * As {@link #outcomes(Assignment, boolean)}, for the request of {@code unit}: a migration whose
     * cohort placed the unit gets a per-unit outcome instead of a count, so that the guard keeps it
     * out of the new-versus-old comparison (cohort units were not randomised) and judges it by the
     * ceiling alone.
     */
    public List<Outcome> outcomes(String unit, Assignment assignment, boolean ok) {
        List<Outcome> list = null;
        for (int i = 0; i < inEffect.length; i++) {
            ActiveMigration m = inEffect[i];
            if (m.cohortsInEffect() && m.placementFor(unit).byCohort()) {
                if (list == null) {
                    list = new ArrayList<>(outcomes(assignment, ok));
                }
                list.set(i, new Outcome.PerUnit(m.spec().key(), unit, ok));
            }
        }
        return list != null ? list : outcomes(assignment, ok);
    }

    private List<Outcome> outcomesOf(Variant[] variants, boolean ok) {
        List<Outcome> list = new ArrayList<>(inEffect.length);
        for (int i = 0; i < inEffect.length; i++) {
            list.add(new Outcome.Aggregated(inEffect[i].spec().key(), variants[i], ok ? 1 : 0, ok ? 0 : 1));
        }
        return list;
    }

    private String render(Variant[] variants) {
        StringBuilder sb = new StringBuilder(256).append('{');
        for (int i = 0; i < entries.length; i++) {
            Entry e = entries[i];
            if (i > 0) {
                sb.append(',');
            }
            if (e.fixed != null) {
                sb.append(e.fixed);
            } else {
                sb.append(variants[e.migration] == Variant.NEW ? e.newFragment : e.oldFragment);
            }
        }
        return sb.append('}').toString();
    }

    private static String fragment(String key, JsonNode value) {
        try {
            return COMPACT.writeValueAsString(key) + ":" + COMPACT.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The problems that keep {@code spec} from being served behind the proxy: the largest
     * {@code X-Crossfade-Settings} any unit could get (each matching key at its longest value among
     * the setting's, the migration's {@code from} and {@code to}) must fit in
     * {@value #MAX_SETTINGS_HEADER_BYTES} bytes. Empty when it fits.
     */
    public static List<SettingsProblem> check(SettingsSpec spec, InjectPatterns patterns) {
        if (patterns.isEmpty()) {
            return List.of();
        }
        record Size(String key, String file, int bytes) {
        }
        List<Size> sizes = new ArrayList<>();
        int total = 2;
        for (Setting setting : spec.settings().values()) {
            if (!patterns.matches(setting.key())) {
                continue;
            }
            int longest = fragment(setting.key(), setting.value()).length();
            MigrationSpec migration = spec.migrations().get(setting.key());
            if (migration != null) {
                longest = Math.max(longest, fragment(setting.key(), migration.from()).length());
                longest = Math.max(longest, fragment(setting.key(), migration.to()).length());
            }
            total += longest + (sizes.isEmpty() ? 0 : 1);
            sizes.add(new Size(setting.key(), migration != null && migration.source() != null ? migration.source()
                    : setting.source(), longest));
        }
        if (total <= MAX_SETTINGS_HEADER_BYTES) {
            return List.of();
        }
        sizes.sort(Comparator.comparingInt(Size::bytes).reversed());
        StringBuilder largest = new StringBuilder();
        for (int i = 0; i < Math.min(3, sizes.size()); i++) {
            Size s = sizes.get(i);
            largest.append(i == 0 ? "" : ", ").append(s.key()).append(" (").append(s.bytes()).append(" bytes")
                    .append(s.file() == null ? "" : " in " + s.file()).append(')');
        }
        return List.of(new SettingsProblem(sizes.get(0).file(), 0, null, "--inject", "the " + sizes.size()
                + " settings matching --inject " + patterns + " can take " + total + " bytes in X-Crossfade-Settings, "
                + "over its limit of " + MAX_SETTINGS_HEADER_BYTES + " bytes (8 KiB); the largest: " + largest
                + ". Narrow --inject or make those values smaller"));
    }
}

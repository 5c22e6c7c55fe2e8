package io.crossfade.config;

import static io.crossfade.config.SettingsFileParser.append;
import static io.crossfade.config.SettingsFileParser.describe;
import static io.crossfade.config.SettingsFileParser.duration;
import static io.crossfade.config.SettingsFileParser.number;
import static io.crossfade.config.SettingsFileParser.unknownFields;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.SettingsFileParser.Context;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a migration's {@code guard:} block of a settings file into a {@link GuardSpec}: every field
 * optional, defaults from {@link GuardSpec#DEFAULT}, and every bad field reported at once, at its own
 * line and as {@code guard.<field>}.
 */
final class GuardReader {

    static final Set<String> FIELDS = Set.of("maxErrorRate", "maxRatio", "minSamples", "window", "confidence", "action");

    private GuardReader() {
    }

    /** The guard of the migration of {@code key}; {@link GuardSpec#DEFAULT} when absent or after a problem. */
    static GuardSpec read(Context ctx, JsonNode node, String key) {
        if (node == null || node.isNull()) {
            return GuardSpec.DEFAULT;
        }
        String[] at = {"migrations", key, "guard"};
        if (!node.isObject()) {
            ctx.problem(ctx.loc.lineOf(at), key, "guard", "must be a mapping, found " + describe(node));
            return GuardSpec.DEFAULT;
        }
        unknownFields(ctx, node, FIELDS, key, "guard.", at);
        GuardSpec d = GuardSpec.DEFAULT;
        int before = ctx.problems.size();
        double maxErrorRate = number(ctx, node, "maxErrorRate", key, at, d.maxErrorRate());
        double maxRatio = number(ctx, node, "maxRatio", key, at, d.maxRatio());
        double minSamplesD = number(ctx, node, "minSamples", key, at, d.minSamples());
        double confidence = number(ctx, node, "confidence", key, at, d.confidence());
        Duration window = d.window();
        JsonNode w = node.get("window");
        if (w != null) {
            window = duration(ctx, w, key, "guard.window", ctx.loc.lineOf(append(at, "window")), d.window());
        }
        GuardAction action = action(ctx, node.get("action"), key, at);
        if (minSamplesD != Math.rint(minSamplesD)) {
            ctx.problem(ctx.loc.lineOf(append(at, "minSamples")), key, "guard.minSamples",
                    "must be a whole number, found " + minSamplesD);
        }
        if (ctx.problems.size() > before) {
            return d;
        }
        int minSamples = (int) Math.min(Integer.MAX_VALUE, minSamplesD);
        List<GuardSpec.Problem> problems = GuardSpec.problems(maxErrorRate, maxRatio, minSamples, window, confidence);
        for (GuardSpec.Problem p : problems) {
            ctx.problem(ctx.loc.lineOf(append(at, p.field())), key, "guard." + p.field(), p.message());
        }
        return problems.isEmpty() ? new GuardSpec(maxErrorRate, maxRatio, minSamples, window, confidence, action) : d;
    }

    private static GuardAction action(Context ctx, JsonNode a, String key, String[] at) {
        if (a == null) {
            return GuardSpec.DEFAULT.action();
        }
        String s = a.isTextual() ? a.asText().toLowerCase(Locale.ROOT) : "";
        if (s.equals("halt")) {
            return GuardAction.HALT;
        }
        if (s.equals("rollback")) {
            return GuardAction.ROLLBACK;
        }
        ctx.problem(ctx.loc.lineOf(append(at, "action")), key, "guard.action",
                "must be 'halt' or 'rollback', found " + describe(a));
        return GuardSpec.DEFAULT.action();
    }
}

package io.crossfade.config;

import static io.crossfade.config.SettingsFileParser.append;
import static io.crossfade.config.SettingsFileParser.describe;
import static io.crossfade.config.SettingsFileParser.duration;
import static io.crossfade.config.SettingsFileParser.percent;
import static io.crossfade.config.SettingsFileParser.unknownFields;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.SettingsFileParser.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads a migration's {@code steps:} list of a settings file: each step a {@code {percent, hold}}
 * mapping, every percent above the one before, a hold on every step but the last. Every bad step
 * is reported, at its own line and as {@code steps[i].<field>}.
 */
final class StepsReader {

    static final Set<String> FIELDS = Set.of("percent", "hold");

    private StepsReader() {
    }

    /** The steps of the migration of {@code key}, empty when it has none; problems go to {@code ctx}. */
    static List<Step> read(Context ctx, JsonNode node, String key) {
        List<Step> steps = new ArrayList<>();
        if (node == null || node.isNull()) {
            return steps;
        }
        String[] at = {"migrations", key, "steps"};
        if (!node.isArray()) {
            ctx.problem(ctx.loc.lineOf(at), key, "steps", "must be a list of {percent, hold}, found " + describe(node));
            return steps;
        }
        int previous = -1;
        for (int i = 0; i < node.size(); i++) {
            JsonNode step = node.get(i);
            String field = "steps[" + i + "]";
            String[] stepAt = {"migrations", key, "steps", "[" + i + "]"};
            int line = ctx.loc.lineOf(stepAt);
            if (step.isTextual() || step.isNumber()) {
                // the shorthand: "5:30m" (percent and hold) or 100 (the last step, without a hold)
                Step shorthand = shorthand(ctx, step, key, field, line, i == node.size() - 1);
                if (shorthand != null) {
                    if (shorthand.percent() <= previous) {
                        ctx.problem(line, key, field, "steps must raise the percent; " + Percent.format(shorthand.percent())
                                + " does not exceed the step before (" + Percent.format(previous) + ")");
                    }
                    previous = shorthand.percent();
                    steps.add(shorthand);
                }
                continue;
            }
            if (!step.isObject()) {
                ctx.problem(line, key, field, "must be a mapping {percent, hold} or \"PERCENT:HOLD\" such as \"5:30m\","
                        + " found " + describe(step));
                continue;
            }
            unknownFields(ctx, step, FIELDS, key, field + ".", stepAt);
            // A block-style step spans lines: point at the field itself (the step's line when absent).
            int percentLine = ctx.loc.lineOf(append(stepAt, "percent"));
            int holdLine = ctx.loc.lineOf(append(stepAt, "hold"));
            JsonNode p = step.get("percent");
            Integer percent = null;
            if (p == null) {
                ctx.problem(line, key, field + ".percent", "is required");
            } else {
                percent = percent(ctx, p, key, field + ".percent", percentLine);
            }
            Duration hold = null;
            JsonNode h = step.get("hold");
            boolean last = i == node.size() - 1;
            if (h == null) {
                if (!last) {
                    ctx.problem(line, key, field + ".hold", "is required on every step but the last");
                }
            } else {
                hold = duration(ctx, h, key, field + ".hold", holdLine, null);
                if (hold != null && (hold.isZero() || hold.isNegative())) {
                    ctx.problem(holdLine, key, field + ".hold", "must be longer than zero");
                }
            }
            if (percent != null) {
                if (percent <= previous) {
                    ctx.problem(percentLine, key, field + ".percent", "steps must raise the percent; "
                            + Percent.format(percent) + " does not exceed the step before (" + Percent.format(previous) + ")");
                }
                previous = percent;
                steps.add(new Step(percent, hold));
            }
        }
        return steps;
    }

    /** A step written {@code "5:30m"}, {@code "100"} or {@code 100}; null after reporting a problem. */
    private static Step shorthand(Context ctx, JsonNode step, String key, String field, int line, boolean last) {
        String text = step.isNumber() ? step.decimalValue().toPlainString() : step.asText().strip();
        int colon = text.indexOf(':');
        String percentText = colon < 0 ? text : text.substring(0, colon).strip();
        Integer percent;
        try {
            percent = Percent.fromDecimal(new java.math.BigDecimal(percentText));
        } catch (NumberFormatException e) {
            ctx.problem(line, key, field, "must be \"PERCENT:HOLD\" such as \"5:30m\", or a percent alone on the last"
                    + " step, found " + describe(step));
            return null;
        } catch (IllegalArgumentException e) {
            ctx.problem(line, key, field, e.getMessage());
            return null;
        }
        Duration hold = null;
        if (colon >= 0) {
            try {
                hold = Durations.parse(text.substring(colon + 1).strip());
            } catch (IllegalArgumentException e) {
                ctx.problem(line, key, field + ".hold", e.getMessage());
                return null;
            }
            if (hold.isZero() || hold.isNegative()) {
                ctx.problem(line, key, field + ".hold", "must be longer than zero");
                return null;
            }
        } else if (!last) {
            ctx.problem(line, key, field + ".hold", "is required on every step but the last: write \"" + percentText
                    + ":30m\"");
            return null;
        }
        return new Step(percent, hold);
    }
}

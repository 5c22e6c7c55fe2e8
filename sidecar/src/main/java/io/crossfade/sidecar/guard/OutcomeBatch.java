package io.crossfade.sidecar.guard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.InputText;
import io.crossfade.config.SettingKey;
import io.crossfade.config.Variant;
import io.crossfade.config.WireLimits;
import io.crossfade.sidecar.json.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Parses and validates the body of {@code POST /v1/outcomes}: {@code {"outcomes": [...]}} with up
 * to {@value WireLimits#MAX_OUTCOMES_PER_REQUEST} entries, each either per-unit {@code {"key","unit","ok":true|false}} or
 * aggregated {@code {"key","variant":"old"|"new","ok":N,"errors":M}}; both forms may be mixed. A
 * batch is all or nothing: the first bad entry rejects it, with a message naming the entry and
 * field. Unknown fields are rejected too, so that a typo such as {@code "error": 3} is not silently
 * counted as zero errors. Pure; thread-safe.
 */
public final class OutcomeBatch {

    /** Largest {@code ok} or {@code errors} count of one aggregated entry. */
    public static final long MAX_COUNT = 1_000_000_000L;

    private static final Set<String> PER_UNIT_FIELDS = Set.of("key", "unit", "ok");
    private static final Set<String> AGGREGATED_FIELDS = Set.of("key", "variant", "ok", "errors");
    private static final String FORMS = "a per-unit outcome is {key, unit, ok}, an aggregated one "
            + "{key, variant, ok, errors}";

    /** A body that cannot be accepted; the message says what and where. */
    public static final class Invalid extends Exception {
        private final boolean tooLarge;

        Invalid(String message, boolean tooLarge) {
            super(message, null, false, false);
            this.tooLarge = tooLarge;
        }

        /** True when the batch has too many entries (a 413 rather than a 400). */
        public boolean tooLarge() {
            return tooLarge;
        }
    }

    private OutcomeBatch() {
    }

    /**
     * Parses a request body.
     *
     * @throws Invalid naming the entry ({@code outcomes[3]}) and field at fault
     */
    public static List<Outcome> parse(byte[] body) throws Invalid {
        if (body.length == 0) {
            throw invalid("the body is empty; send {\"outcomes\": [...]}");
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw invalid("the body is not valid JSON" + where + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw invalid("the body could not be read as JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw invalid("the body must be a JSON object {\"outcomes\": [...]}, found " + describe(root));
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("outcomes")) {
                throw invalid("unknown field '" + abbreviate(name) + "' in the body; it has only \"outcomes\"");
            }
        }
        JsonNode outcomes = root.get("outcomes");
        if (outcomes == null) {
            throw invalid("the body needs an \"outcomes\" array");
        }
        if (!outcomes.isArray()) {
            throw invalid("\"outcomes\" must be an array, found " + describe(outcomes));
        }
        if (outcomes.size() > WireLimits.MAX_OUTCOMES_PER_REQUEST) {
            throw new Invalid("at most " + WireLimits.MAX_OUTCOMES_PER_REQUEST + " outcomes per request, got " + outcomes.size()
                    + "; send them in several batches", true);
        }
        List<Outcome> parsed = new ArrayList<>(outcomes.size());
        for (int i = 0; i < outcomes.size(); i++) {
            parsed.add(entry(outcomes.get(i), "outcomes[" + i + "]"));
        }
        return parsed;
    }

    private static Outcome entry(JsonNode node, String at) throws Invalid {
        if (!node.isObject()) {
            throw invalid(at + " must be an object; " + FORMS + "; found " + describe(node));
        }
        boolean perUnit = node.has("unit");
        boolean aggregated = node.has("variant");
        if (perUnit && aggregated) {
            throw invalid(at + " has both unit and variant; " + FORMS);
        }
        if (!perUnit && !aggregated) {
            throw invalid(at + " needs a unit (per-unit form {key, unit, ok}) or a variant (aggregated form "
                    + "{key, variant, ok, errors})");
        }
        Set<String> allowed = perUnit ? PER_UNIT_FIELDS : AGGREGATED_FIELDS;
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw invalid(at + " has an unknown field '" + abbreviate(name) + "'; " + FORMS);
            }
        }
        String key = key(node.get("key"), at + ".key");
        if (perUnit) {
            String unit = unit(node.get("unit"), at + ".unit");
            JsonNode ok = node.get("ok");
            if (ok == null) {
                throw invalid(at + ".ok is missing; a per-unit outcome says ok: true or ok: false");
            }
            if (!ok.isBoolean()) {
                throw invalid(at + ".ok must be true or false in the per-unit form, found " + describe(ok));
            }
            return new Outcome.PerUnit(key, unit, ok.booleanValue());
        }
        JsonNode v = node.get("variant");
        Variant variant = v.isTextual() ? Variant.fromWireName(v.textValue()) : null;
        if (variant != Variant.OLD && variant != Variant.NEW) {
            throw invalid(at + ".variant must be \"old\" or \"new\", found " + describe(v));
        }
        return new Outcome.Aggregated(key, variant, count(node.get("ok"), at + ".ok"),
                count(node.get("errors"), at + ".errors"));
    }

    private static String key(JsonNode node, String at) throws Invalid {
        if (node == null) {
            throw invalid(at + " is missing");
        }
        if (!node.isTextual()) {
            throw invalid(at + " must be a string, found " + describe(node));
        }
        String key = node.textValue();
        if (!SettingKey.isValid(key)) {
            throw invalid(at + " '" + abbreviate(key) + "' is not a valid key: " + SettingKey.rule());
        }
        return key;
    }

    private static String unit(JsonNode node, String at) throws Invalid {
        if (!node.isTextual()) {
            throw invalid(at + " must be a string, found " + describe(node));
        }
        String unit = node.textValue();
        if (unit.isEmpty()) {
            throw invalid(at + " is empty; give the unit the setting was read for");
        }
        if (WireLimits.unitTooLong(unit)) {
            throw invalid(at + " is longer than " + WireLimits.MAX_UNIT_BYTES + " bytes");
        }
        return unit;
    }

    private static long count(JsonNode node, String at) throws Invalid {
        if (node == null) {
            throw invalid(at + " is missing; an aggregated outcome gives both ok and errors counts");
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 0
                || node.longValue() > MAX_COUNT) {
            throw invalid(at + " must be a whole number from 0 to " + MAX_COUNT + ", found " + describe(node));
        }
        return node.longValue();
    }

    private static Invalid invalid(String message) {
        return new Invalid(message, false);
    }

    private static String describe(JsonNode node) {
        return InputText.describe(node, InputText.Style.JSON);
    }

    private static String abbreviate(String s) {
        return InputText.abbreviate(s, 60);
    }
}

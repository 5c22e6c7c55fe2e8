package io.crossfade.sidecar.admin;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.crossfade.config.InputText;
import io.crossfade.config.Percent;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.Change;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

/**
 * The body of an admin change, validated: {@code {"percent": 25, "reason": "..."}} for
 * {@code .../percent}, {@code {"reason": "..."}} (or no body) for {@code pause}, {@code resume},
 * {@code rollback} and {@code complete}, {@code {"units": ["alice"], "reason": "..."}} for {@code include},
 * {@code exclude}, {@code uninclude} and {@code unexclude}. Anything else is refused with a sentence naming what was
 * wrong, before the change reaches the rollout controller.
 *
 * @param change the change to make
 * @param reason the operator's reason, or null
 */
public record ChangeRequest(Change change, String reason) {

    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);

    /** Longest reason accepted, in characters. */
    public static final int MAX_REASON_LENGTH = 1000;

    /** A body that cannot be a change; the message is for the client (400). */
    public static final class Invalid extends Exception {
        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    /** The change endpoints, by the last path segment. */
    public enum Action {
        PERCENT, PAUSE, RESUME, ROLLBACK, COMPLETE, INCLUDE, EXCLUDE, UNINCLUDE, UNEXCLUDE;

        /** The operator list this action edits, or null. */
        Change.CohortOp cohortOp() {
            switch (this) {
                case INCLUDE: return Change.CohortOp.INCLUDE;
                case EXCLUDE: return Change.CohortOp.EXCLUDE;
                case UNINCLUDE: return Change.CohortOp.UNINCLUDE;
                case UNEXCLUDE: return Change.CohortOp.UNEXCLUDE;
                default: return null;
            }
        }

        /** The path segment ({@code percent}, {@code pause}, ...). */
        public String segment() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The action named by a path segment, or null. */
        public static Action ofSegment(String segment) {
            for (Action a : values()) {
                if (a.segment().equals(segment)) {
                    return a;
                }
            }
            return null;
        }
    }

    // NaN and Infinity are read (not rejected as bad JSON) so that they get their own message.
    private static final ObjectReader READER = Json.MAPPER.reader()
            .with(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * Parses the body of {@code action}.
     *
     * @throws Invalid with the reason the body is refused
     */
    public static ChangeRequest parse(Action action, byte[] body) throws Invalid {
        boolean percentWanted = action == Action.PERCENT;
        boolean unitsWanted = action.cohortOp() != null;
        String example = percentWanted ? "{\"percent\": 25, \"reason\": \"...\"}"
                : unitsWanted ? "{\"units\": [\"alice\"], \"reason\": \"...\"}" : "{\"reason\": \"...\"}";
        JsonNode doc;
        try {
            doc = body.length == 0 ? null : READER.readTree(body);
        } catch (JsonProcessingException e) {
            // A constraint violation (nesting too deep) has no location: a null here once left the
            // request unanswered.
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new Invalid("the body is not valid JSON (" + e.getOriginalMessage() + where + "); send " + example);
        } catch (IOException e) {
            throw new Invalid("the body cannot be read as JSON: " + e.getMessage());
        }
        if (doc == null || doc.isMissingNode()) {
            if (percentWanted || unitsWanted) {
                throw new Invalid("the body is empty; send " + example);
            }
            return new ChangeRequest(change(action, 0), null);
        }
        if (!doc.isObject()) {
            throw new Invalid("the body must be a JSON object like " + example + ", got " + kind(doc));
        }
        Set<String> allowed = percentWanted ? Set.of("percent", "reason")
                : unitsWanted ? Set.of("units", "reason") : Set.of("reason");
        for (Iterator<String> it = doc.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!allowed.contains(field)) {
                throw new Invalid("unknown field '" + abbreviate(field) + "'; " + action.segment() + " takes "
                        + (percentWanted ? "percent and reason" : unitsWanted ? "units and reason" : "only reason"));
            }
        }
        if (unitsWanted) {
            return new ChangeRequest(new Change.Cohort(action.cohortOp(), units(doc.get("units"))), reason(doc.get("reason")));
        }
        int percent = percentWanted ? percent(doc.get("percent")) : 0;
        return new ChangeRequest(change(action, percent), reason(doc.get("reason")));
    }

    private static Change change(Action action, int percent) {
        switch (action) {
            case PERCENT: return new Change.SetPercent(percent);
            case PAUSE: return new Change.Pause();
            case RESUME: return new Change.Resume();
            case ROLLBACK: return new Change.Rollback();
            default: return new Change.Complete();
        }
    }

    /** Most units one include/exclude request names. */
    public static final int MAX_UNITS = 1000;

    private static java.util.List<String> units(JsonNode node) throws Invalid {
        if (node == null || node.isNull()) {
            throw new Invalid("units is missing; send {\"units\": [\"alice\", \"bob\"]}");
        }
        if (!node.isArray() || node.isEmpty()) {
            throw new Invalid("units must be a non-empty JSON array of strings, got " + kind(node));
        }
        if (node.size() > MAX_UNITS) {
            throw new Invalid("units holds " + node.size() + " units, over the limit of " + MAX_UNITS + " per request");
        }
        java.util.List<String> units = new java.util.ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode u = node.get(i);
            if (!u.isTextual()) {
                throw new Invalid("units[" + i + "] must be a string, got " + kind(u));
            }
            String problem = io.crossfade.config.Cohort.unitProblem(u.textValue());
            if (problem != null) {
                throw new Invalid("units[" + i + "]: " + problem);
            }
            units.add(u.textValue());
        }
        return units;
    }

    /** The percent in thousandths. */
    private static int percent(JsonNode node) throws Invalid {
        if (node == null || node.isNull()) {
            throw new Invalid("percent is missing; send {\"percent\": 25} with a number from 0 to 100");
        }
        if (!node.isNumber()) {
            throw new Invalid("percent must be a JSON number from 0 to 100, got " + kind(node)
                    + (node.isTextual() ? " (write 25, not \"25\")" : ""));
        }
        if ((node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue())) {
            throw new Invalid("percent must be a number from 0 to 100, got " + node.asText());
        }
        BigDecimal value = node.decimalValue();
        // Range and scale are checked here, before any arithmetic or plain formatting: 1e-999999999
        // and 1e999999999 must not cost a billion digits.
        if (value.signum() < 0 || value.compareTo(HUNDRED) > 0) {
            throw new Invalid("percent must be between 0 and 100, got " + abbreviate(node.asText()));
        }
        if (value.stripTrailingZeros().scale() > 3) {
            throw new Invalid("percent has at most three decimals (0.001 % steps), got " + abbreviate(node.asText()));
        }
        try {
            return Percent.fromDecimal(value);
        } catch (IllegalArgumentException e) {
            throw new Invalid(e.getMessage());
        }
    }

    private static String reason(JsonNode node) throws Invalid {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new Invalid("reason must be a string, got " + kind(node));
        }
        String reason = node.textValue().strip();
        if (reason.length() > MAX_REASON_LENGTH) {
            throw new Invalid("reason is longer than " + MAX_REASON_LENGTH + " characters");
        }
        String unfit = InputText.unfitCharacter(reason, false);
        if (unfit != null) {
            throw new Invalid("reason must be one line of text, all of it visible; it contains " + unfit);
        }
        return reason.isEmpty() ? null : reason;
    }

    private static String kind(JsonNode node) {
        return InputText.describe(node, InputText.Style.JSON_TYPE);
    }

    private static String abbreviate(String s) {
        return InputText.abbreviate(s, 40);
    }
}

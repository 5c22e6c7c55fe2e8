package io.crossfade.sidecar.ofrep;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.CanonicalJson;
import io.crossfade.config.InputText;
import io.crossfade.config.WireLimits;
import io.crossfade.sidecar.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What an OFREP evaluation body {@code {"context": {"targetingKey": "user-42", …}}} asks: the unit
 * and, for bulk evaluation, the context in canonical form (object fields sorted) so that equal
 * contexts give equal entity tags. An empty body, or one without {@code context}, asks for the
 * instance's own unit. Unknown fields are ignored, as OFREP's schemas allow.
 *
 * <p>Parsing is strict where a lenient reading would guess: a duplicate field name anywhere is a
 * {@code PARSE_ERROR} (which of the two would count?), and a malformed body is reported as
 * {@code PARSE_ERROR} even when its context is also wrong.
 *
 * @param targetingKey the context's {@code targetingKey}, or null when none was given
 * @param canonicalContext the context as canonical JSON ({@code {}} without one), or null when not asked for
 */
record EvaluationRequest(String targetingKey, String canonicalContext) {

    private static final JsonFactory FACTORY = Json.MAPPER.getFactory();
    private static final String EXPECTED = "a JSON object such as {\"context\": {\"targetingKey\": \"user-42\"}}";

    /**
     * Reads {@code body}. Pure; safe on any thread; never throws anything but the declared exception.
     *
     * @param canonical whether to keep the canonical context (bulk evaluation's entity tag needs it)
     * @throws InvalidEvaluationRequest {@code PARSE_ERROR} when the body is not JSON, not an object, or
     *     repeats a field; {@code INVALID_CONTEXT} when {@code context} is not an object or its
     *     {@code targetingKey} is not a string of at most {@value io.crossfade.config.WireLimits#MAX_UNIT_BYTES} UTF-8 bytes
     */
    static EvaluationRequest parse(byte[] body, boolean canonical) throws InvalidEvaluationRequest {
        try {
            return read(body, canonical);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw new InvalidEvaluationRequest(OfrepErrorCode.PARSE_ERROR,
                    "the body is not valid JSON" + where + ": " + abbreviate(e.getOriginalMessage()) + "; expected " + EXPECTED);
        } catch (IOException | RuntimeException e) {
            throw new InvalidEvaluationRequest(OfrepErrorCode.PARSE_ERROR,
                    "the body could not be read as JSON (" + abbreviate(String.valueOf(e.getMessage())) + "); expected " + EXPECTED);
        }
    }

    private static EvaluationRequest read(byte[] body, boolean canonical) throws IOException, InvalidEvaluationRequest {
        String targetingKey = null;
        String context = canonical ? "{}" : null;
        InvalidEvaluationRequest invalid = null;
        try (JsonParser p = FACTORY.createParser(body)) {
            p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            JsonToken root = p.nextToken();
            if (root == null) {
                return new EvaluationRequest(null, context); // an empty body: no context
            }
            if (root != JsonToken.START_OBJECT) {
                throw new InvalidEvaluationRequest(OfrepErrorCode.PARSE_ERROR,
                        "the body is " + describe(root) + "; expected " + EXPECTED);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (!"context".equals(field)) {
                    p.skipChildren();
                } else if (value != JsonToken.START_OBJECT) {
                    invalid = new InvalidEvaluationRequest(OfrepErrorCode.INVALID_CONTEXT,
                            "context must be a JSON object, found " + describe(value));
                    p.skipChildren();
                } else if (canonical) {
                    JsonNode tree = Json.MAPPER.readTree(p);
                    context = CanonicalJson.write(tree);
                    JsonNode key = tree.get("targetingKey");
                    if (key != null && !key.isTextual()) {
                        invalid = notAString(key.isNull() ? JsonToken.VALUE_NULL : key.asToken());
                    } else if (key != null) {
                        targetingKey = key.textValue();
                    }
                } else {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        JsonToken token = p.nextToken();
                        if ("targetingKey".equals(name) && token == JsonToken.VALUE_STRING) {
                            targetingKey = p.getText();
                        } else if ("targetingKey".equals(name)) {
                            invalid = notAString(token);
                        }
                        p.skipChildren();
                    }
                }
            }
            if (p.nextToken() != null) {
                throw new InvalidEvaluationRequest(OfrepErrorCode.PARSE_ERROR,
                        "the body has more after its JSON object; expected " + EXPECTED);
            }
        }
        if (invalid != null) {
            throw invalid;
        }
        String lone = targetingKey == null ? null : InputText.loneSurrogate(targetingKey);
        if (lone != null) {
            throw new InvalidEvaluationRequest(OfrepErrorCode.INVALID_CONTEXT, "targetingKey is not valid Unicode "
                    + "text: it holds a lone UTF-16 surrogate, " + lone);
        }
        if (targetingKey != null && WireLimits.unitTooLong(targetingKey)) {
            throw new InvalidEvaluationRequest(OfrepErrorCode.INVALID_CONTEXT, "targetingKey is the unit, at most "
                    + WireLimits.MAX_UNIT_BYTES + " bytes in UTF-8; this one is longer");
        }
        return new EvaluationRequest(targetingKey, context);
    }

    /**
     * A tag of (unit, canonical context) for entity tags: 128 bits of SHA-256, hex. Equal for equal
     * contexts written with fields in any order; different, but for a 2^-64 chance, otherwise.
     */
    String contextTag(String unit) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(unit.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(canonicalContext.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static InvalidEvaluationRequest notAString(JsonToken token) {
        return new InvalidEvaluationRequest(OfrepErrorCode.INVALID_CONTEXT,
                "targetingKey must be a string (the unit, e.g. a user id), found " + describe(token));
    }

    private static String describe(JsonToken token) {
        if (token == null) {
            return "missing";
        }
        switch (token) {
            case START_OBJECT: return "an object";
            case START_ARRAY: return "an array";
            case VALUE_STRING: return "a string";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT: return "a number";
            case VALUE_TRUE:
            case VALUE_FALSE: return "a boolean";
            case VALUE_NULL: return "null";
            default: return token.asString() == null ? token.name() : token.asString();
        }
    }

    private static String abbreviate(String s) {
        return InputText.abbreviate(s, 200);
    }
}

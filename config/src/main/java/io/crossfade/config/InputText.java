package io.crossfade.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * How error messages show what a user sent: long text cut short, and a JSON (or YAML) node named by
 * its kind and, for scalars, its value, so a message can say "expected a number, found string
 * \"ten\"". Pure; safe on any thread.
 */
public final class InputText {

    /** How a message names what it found; each surface keeps the words its users already see. */
    public enum Style {
        /** Settings files: {@code a mapping}, {@code a list}, {@code text 'x'}, {@code number 5}. */
        YAML,
        /** JSON bodies, with the value: {@code an object}, {@code an array}, {@code string "x"}, {@code number 5}. */
        JSON,
        /** JSON bodies, the type only: {@code an object}, {@code a string}, {@code a number}. */
        JSON_TYPE,
        /** A JSON value shown whole: {@code object {"a":1}}, {@code string "x"}, {@code number 5}. */
        JSON_VALUE
    }

    private InputText() {
    }

    /**
     * {@code text} when at most {@code max} characters long, else its first {@code max - 3}
     * characters and {@code "..."}; an empty string for null.
     */
    public static String abbreviate(String text, int max) {
        if (text == null) {
            return "";
        }
        return text.length() > max ? text.substring(0, max - 3) + "..." : text;
    }

    /**
     * Names {@code node} in {@code style}, with scalar values cut to 60 characters; {@code "nothing"}
     * for a null or missing node, {@code "null"} for JSON null.
     */
    public static String describe(JsonNode node, Style style) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        if (node.isNull()) {
            return "null";
        }
        if (style == Style.JSON_VALUE) {
            String type = node.isTextual() ? "string" : node.getNodeType().name().toLowerCase(Locale.ROOT);
            return type + " " + abbreviate(node.toString(), 60);
        }
        if (node.isObject()) {
            return style == Style.YAML ? "a mapping" : "an object";
        }
        if (node.isArray()) {
            return style == Style.YAML ? "a list" : "an array";
        }
        String type = node.isTextual() ? "string" : node.getNodeType().name().toLowerCase(Locale.ROOT);
        switch (style) {
            case JSON_TYPE:
                return "a " + type;
            case YAML:
                if (node.isTextual()) {
                    return "text '" + abbreviate(node.asText(), 60) + "'";
                }
                return node.isBoolean() || node.isNumber() ? type + " " + node.asText() : type;
            default: // JSON
                return type + " " + abbreviate(node.toString(), 60);
        }
    }
}

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
     * What makes {@code text} unfit as operator text (a reason, an owner, a description), or null
     * when it is fit: a control character (line breaks and tabs allowed when {@code multiline}), a
     * format character (Unicode category Cf: the bidirectional controls U+202A-U+202E and
     * U+2066-U+2069 that make text display reversed, the "Trojan Source" trick, and the other
     * invisible ones such as U+200B), or a lone UTF-16 surrogate. The answer names the first such
     * character as {@code U+XXXX}, with its Unicode name where known, and its position (counted in
     * characters from 1), e.g. {@code "U+202E (RIGHT-TO-LEFT OVERRIDE) at character 7, a
     * bidirectional control"}. Pure; safe on any thread.
     */
    public static String unfitCharacter(String text, boolean multiline) {
        if (text == null) {
            return null;
        }
        int position = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            position++;
            String kind = null;
            if (Character.isSurrogate((char) cp) && Character.charCount(cp) == 1) {
                kind = "a lone UTF-16 surrogate, which is not text";
            } else if (Character.getType(cp) == Character.CONTROL
                    && !(multiline && (cp == '\n' || cp == '\r' || cp == '\t'))) {
                kind = multiline ? "a control character" : "a control character (the text must be one line)";
            } else if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
                kind = "a bidirectional control, which can make text display in another order than it is stored";
            } else if (Character.getType(cp) == Character.FORMAT) {
                kind = "an invisible format character";
            }
            if (kind != null) {
                String name = Character.getName(cp);
                return String.format(Locale.ROOT, "U+%04X", cp) + (name == null ? "" : " (" + name + ")")
                        + " at character " + position + ", " + kind;
            }
            i += Character.charCount(cp);
        }
        return null;
    }

    /**
     * The first lone UTF-16 surrogate in {@code text} with its position (counted in characters from
     * 1), e.g. {@code "U+D800 at character 3"}, or null when there is none. Such a string is not
     * Unicode text and cannot be encoded as UTF-8, yet JSON's escapes can produce it.
     */
    public static String loneSurrogate(String text) {
        int position = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            position++;
            if (Character.isSurrogate((char) cp) && Character.charCount(cp) == 1) {
                return String.format(Locale.ROOT, "U+%04X", cp) + " at character " + position;
            }
            i += Character.charCount(cp);
        }
        return null;
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

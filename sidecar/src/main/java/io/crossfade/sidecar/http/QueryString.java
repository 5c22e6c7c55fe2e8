package io.crossfade.sidecar.http;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Reads a raw query string the way Vert.x's {@code HttpServerRequest.params()} does, without building
 * the parameter map, so that a read request allocates nothing for its query but the value it needs.
 * Same rules as Vert.x (Netty's {@link QueryStringDecoder} as Vert.x configures it): {@code &}
 * separates parameters ({@code ;} does not), {@code #} ends the query, leading {@code =} of a
 * parameter are skipped, a name without {@code =} has the empty value, at most 1024 parameters are
 * read, {@code +} and {@code %XX} are decoded as UTF-8, and names match ignoring ASCII case with the
 * first occurrence winning. Pure; safe on any thread.
 */
public final class QueryString {

    /** Netty's and so Vert.x's limit: parameters after the 1024th are not decoded. */
    private static final int MAX_PARAMS = 1024;

    private QueryString() {
    }

    /**
     * The decoded value of the first parameter called {@code name} in {@code query} (the part after
     * {@code ?}, undecoded; may be null), or null when there is none.
     *
     * @throws IllegalArgumentException when a name or value up to the one found is not valid
     *     percent-encoding; {@link #malformation} tells that beforehand
     */
    public static String first(String query, String name) {
        return scan(query, (q, nameStart, nameEnd, valueStart, end) -> !nameMatches(q, nameStart, nameEnd, name) ? null
                : valueStart < 0 ? "" : decode(q, valueStart, end));
    }

    /**
     * Why {@code query} cannot be decoded (a {@code %} not followed by two hex digits within its name
     * or value, in a parameter Vert.x would decode), or null when it can. After a null, neither
     * {@link #first} nor Vert.x's {@code params()} throws for this query.
     */
    public static String malformation(String query) {
        return scan(query, (q, nameStart, nameEnd, valueStart, end) -> {
            String problem = escapeProblem(q, nameStart, nameEnd);
            return problem == null && valueStart >= 0 ? escapeProblem(q, valueStart, end) : problem;
        });
    }

    /** Looks at one parameter of a query; a non-null answer ends the scan. */
    @FunctionalInterface
    private interface Parameter {
        /**
         * @param valueStart where the value starts, or -1 when the parameter has no {@code =}
         * @param end where the parameter ends (its value's end, or its name's without a value)
         */
        String visit(String query, int nameStart, int nameEnd, int valueStart, int end);
    }

    /**
     * The one tokenizer: offers each parameter Vert.x would decode to {@code visitor}, in order, and
     * returns the first non-null answer (null when none answers).
     */
    private static String scan(String query, Parameter visitor) {
        if (query == null) {
            return null;
        }
        int length = query.length();
        int nameStart = 0;
        int valueStart = -1;
        int params = 0;
        for (int i = 0; i <= length; i++) {
            char c = i < length ? query.charAt(i) : '&';
            if (c == '=') {
                if (nameStart == i) {
                    nameStart = i + 1;
                } else if (valueStart < nameStart) {
                    valueStart = i + 1;
                }
            } else if (c == '&' || c == '#') {
                if (nameStart < i) {
                    boolean hasValue = valueStart > nameStart;
                    String answer = visitor.visit(query, nameStart, hasValue ? valueStart - 1 : i,
                            hasValue ? valueStart : -1, i);
                    if (answer != null) {
                        return answer;
                    }
                    if (++params == MAX_PARAMS) {
                        return null;
                    }
                }
                if (c == '#') {
                    return null;
                }
                nameStart = i + 1;
            }
        }
        return null;
    }

    private static String escapeProblem(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == '%') {
                if (i + 3 > to) {
                    return "unterminated escape sequence at index " + i + " of '" + s.substring(from, to) + "'";
                }
                if (!isHex(s.charAt(i + 1)) || !isHex(s.charAt(i + 2))) {
                    return "invalid hex byte '" + s.substring(i + 1, i + 3) + "' at index " + i + " of '"
                            + s.substring(from, to) + "'";
                }
                i += 2;
            }
        }
        return null;
    }

    /** ASCII hex digits only, as Netty's decoder accepts (not Unicode digits). */
    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static boolean nameMatches(String query, int start, int end, String name) {
        if (needsDecoding(query, start, end)) {
            String decoded = decode(query, start, end);
            return equalsIgnoringAsciiCase(decoded, 0, decoded.length(), name);
        }
        return equalsIgnoringAsciiCase(query, start, end, name);
    }

    /** As Vert.x's case-insensitive parameter map compares names: only A-Z and a-z fold. */
    private static boolean equalsIgnoringAsciiCase(String s, int start, int end, String name) {
        if (end - start != name.length()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char a = s.charAt(start + i);
            char b = name.charAt(i);
            if (a != b && lowerAscii(a) != lowerAscii(b)) {
                return false;
            }
        }
        return true;
    }

    private static char lowerAscii(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
    }

    private static boolean needsDecoding(String s, int start, int end) {
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c == '%' || c == '+') {
                return true;
            }
        }
        return false;
    }

    private static String decode(String s, int start, int end) {
        String component = s.substring(start, end);
        return needsDecoding(s, start, end)
                ? QueryStringDecoder.decodeComponent(component, StandardCharsets.UTF_8)
                : component;
    }
}

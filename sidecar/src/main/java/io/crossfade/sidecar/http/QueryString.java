package io.crossfade.sidecar.http;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Reads one parameter from a raw query string without decoding the others, so a read request does
 * not build Vert.x's parameter map. Same rules as {@code HttpServerRequest.getParam}: names match
 * ignoring ASCII case, the first occurrence wins, {@code +} and {@code %XX} are decoded as UTF-8,
 * {@code &} separates parameters ({@code ;} does not), a name without {@code =} has the empty value.
 * Unlike {@code getParam}, a malformed escape is reported as {@link IllegalArgumentException} for
 * the caller to answer 400, rather than escaping as a server error. Pure; safe on any thread.
 */
public final class QueryString {

    private QueryString() {
    }

    /**
     * The decoded value of the first parameter called {@code name} in {@code query} (the part after
     * {@code ?}, undecoded; may be null), or null when there is none.
     *
     * @throws IllegalArgumentException when the name or value of a parameter up to the one found is
     *     not valid percent-encoding
     */
    public static String first(String query, String name) {
        if (query == null || query.isEmpty()) {
            return null;
        }
        int length = query.length();
        int start = 0;
        while (start <= length) {
            int end = query.indexOf('&', start);
            if (end < 0) {
                end = length;
            }
            if (end > start) {
                int equals = query.indexOf('=', start);
                int nameEnd = equals >= 0 && equals < end ? equals : end;
                if (nameMatches(query, start, nameEnd, name)) {
                    return nameEnd == end ? "" : decode(query.substring(nameEnd + 1, end));
                }
            }
            start = end + 1;
        }
        return null;
    }

    private static boolean nameMatches(String query, int start, int end, String name) {
        if (needsDecoding(query, start, end)) {
            String decoded = decode(query.substring(start, end));
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
            if (a != b && (lowerAscii(a) != lowerAscii(b))) {
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

    private static String decode(String component) {
        return needsDecoding(component, 0, component.length())
                ? QueryStringDecoder.decodeComponent(component, StandardCharsets.UTF_8)
                : component;
    }
}

package io.crossfade.sidecar.http;

/** {@code If-None-Match} evaluation (RFC 9110 section 13.1.2): a list of entity tags or {@code *}, compared weakly. */
public final class EntityTags {

    private EntityTags() {
    }

    /**
     * True when {@code ifNoneMatch} names {@code etag}, so the client's copy is current and the
     * answer is 304. Weak comparison: a {@code W/} prefix on either side is ignored. A null or
     * blank header never matches.
     *
     * @param etag the current strong entity tag, quotes included
     */
    public static boolean noneMatch(String ifNoneMatch, CharSequence etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        String current = opaque(etag.toString());
        int i = 0;
        int n = ifNoneMatch.length();
        while (i < n) {
            int comma = ifNoneMatch.indexOf(',', i);
            int end = comma < 0 ? n : comma;
            String candidate = ifNoneMatch.substring(i, end).trim();
            if (candidate.equals("*") || (!candidate.isEmpty() && opaque(candidate).equals(current))) {
                return true;
            }
            i = end + 1;
        }
        return false;
    }

    private static String opaque(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }
}

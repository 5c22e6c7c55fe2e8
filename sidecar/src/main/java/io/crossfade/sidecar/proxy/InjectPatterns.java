package io.crossfade.sidecar.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which settings the proxy injects into {@code X-Crossfade-Settings} ({@code --inject}): a list of
 * key patterns where {@code *} matches any run of characters ({@code checkout.*}, {@code *.timeout_ms},
 * {@code *} for all, {@code db.pool.size} for one key). Empty: nothing is injected. Immutable.
 */
public final class InjectPatterns {

    private static final Pattern ALLOWED = Pattern.compile("[a-z0-9._*-]{1,200}");

    private final List<String> patterns;
    private final List<Pattern> compiled;

    private InjectPatterns(List<String> patterns) {
        this.patterns = List.copyOf(patterns);
        List<Pattern> list = new ArrayList<>();
        for (String p : patterns) {
            StringBuilder regex = new StringBuilder();
            for (String part : p.split("\\*", -1)) {
                if (!regex.isEmpty()) {
                    regex.append(".*");
                }
                regex.append(Pattern.quote(part));
            }
            list.add(Pattern.compile(regex.toString()));
        }
        this.compiled = List.copyOf(list);
    }

    /** No pattern: the proxy adds no {@code X-Crossfade-Settings}. */
    public static final InjectPatterns NONE = new InjectPatterns(List.of());

    /**
     * Parses {@code checkout.*,db.pool.size}; null or blank gives {@link #NONE}.
     *
     * @throws IllegalArgumentException naming a pattern with characters a key cannot have
     */
    public static InjectPatterns parse(String text) {
        if (text == null || text.isBlank()) {
            return NONE;
        }
        List<String> list = new ArrayList<>();
        for (String raw : text.split(",")) {
            String p = raw.trim();
            if (p.isEmpty()) {
                continue;
            }
            if (!ALLOWED.matcher(p).matches()) {
                throw new IllegalArgumentException("--inject pattern '" + p + "' is not a key pattern: use the key "
                        + "characters a-z 0-9 . _ - and * for any run of them, e.g. checkout.*");
            }
            list.add(p);
        }
        return new InjectPatterns(list);
    }

    /** True when no pattern is set. */
    public boolean isEmpty() {
        return patterns.isEmpty();
    }

    /** True when {@code key} matches one of the patterns. */
    public boolean matches(String key) {
        for (Pattern p : compiled) {
            if (p.matcher(key).matches()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return String.join(",", patterns);
    }
}

package io.crossfade.sidecar.source;

import io.crossfade.config.SettingsProblem;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * How much of the served settings one reload may take away: removals are the riskiest edit there
 * is, and a half-copied directory looks exactly like one. A reload that removes every setting is
 * always refused; one that removes more than {@code maxPercent} of them is refused unless an
 * operator accepts it ({@code crossfade ctl reload --accept-removals}). Pure and immutable.
 *
 * @param maxPercent the largest share of the served settings, in percent (0-100), that a reload may
 *     remove without confirmation; 100 leaves only the "not every setting" rule
 */
public record RemovalLimit(int maxPercent) {

    /** {@code --max-removal}'s default. */
    public static final RemovalLimit DEFAULT = new RemovalLimit(50);

    public RemovalLimit {
        if (maxPercent < 0 || maxPercent > 100) {
            throw new IllegalArgumentException("--max-removal must be between 0% and 100%, found " + maxPercent + "%");
        }
    }

    /**
     * Parses {@code --max-removal}: a whole percent, with or without {@code %} ({@code 50%}, {@code 50}).
     *
     * @throws IllegalArgumentException with a message for the user
     */
    public static RemovalLimit parse(String text) {
        String t = text == null ? "" : text.strip();
        if (t.endsWith("%")) {
            t = t.substring(0, t.length() - 1).strip();
        }
        try {
            return new RemovalLimit(Integer.parseInt(t));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--max-removal takes a whole percent such as 50%, found '" + text + "'");
        }
    }

    /**
     * Why going from {@code served} to {@code next} settings must be refused, or empty when it may be
     * applied.
     *
     * @param accepted true when an operator confirmed removals for this reload
     */
    public Optional<SettingsProblem> check(Set<String> served, Set<String> next, boolean accepted) {
        if (served.isEmpty()) {
            return Optional.empty();
        }
        Set<String> removed = new TreeSet<>(served);
        removed.removeAll(next);
        if (removed.isEmpty()) {
            return Optional.empty();
        }
        if (next.isEmpty()) {
            return Optional.of(new SettingsProblem(null, 0, null, null, "this reload would remove every setting ("
                    + served.size() + " of " + served.size() + "); an empty or half-copied settings directory is never"
                    + " served, so the last good settings keep serving"));
        }
        // removed / served > maxPercent / 100, in integers
        if (accepted || (long) removed.size() * 100 <= (long) maxPercent * served.size()) {
            return Optional.empty();
        }
        long share = Math.round(removed.size() * 100.0 / served.size());
        return Optional.of(new SettingsProblem(null, 0, null, null, "this reload would remove " + removed.size()
                + " of " + served.size() + " settings (" + share + " %, over --max-removal " + maxPercent + "%): "
                + names(removed) + ". If that is intended, run `crossfade ctl reload --accept-removals`"));
    }

    private static String names(Set<String> keys) {
        List<String> shown = new ArrayList<>();
        for (String k : keys) {
            if (shown.size() == 10) {
                shown.add("and " + (keys.size() - 10) + " more");
                break;
            }
            shown.add(k);
        }
        return String.join(", ", shown);
    }
}

package io.crossfade.config;

import java.util.regex.Pattern;

/** The rule every setting key follows: {@code [a-z0-9][a-z0-9._-]{0,199}}, e.g. {@code db.pool.size}. */
public final class SettingKey {

    private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,199}");

    private SettingKey() {
    }

    /** Returns true when {@code key} is non-null and matches the key rule. Cheap; safe on any thread. */
    public static boolean isValid(String key) {
        return key != null && VALID.matcher(key).matches();
    }

    /** A sentence explaining the rule, for error messages. */
    public static String rule() {
        return "keys are 1-200 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit";
    }
}

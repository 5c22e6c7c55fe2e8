package io.crossfade.config;

/**
 * One thing wrong in the settings files, located as precisely as known.
 *
 * @param file the file's name, or null when the problem is not in one file
 * @param line 1-based line, or 0 when unknown
 * @param key the setting key concerned, or null
 * @param field the field concerned (e.g. {@code guard.maxRatio}), or null
 * @param reason what was expected and what was found
 */
public record SettingsProblem(String file, int line, String key, String field, String reason) {

    /** One line for logs and {@code /ready}: {@code settings.yaml:12: db.pool.size.percent: percent must be ...}. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        if (file != null) {
            sb.append(file);
            if (line > 0) {
                sb.append(':').append(line);
            }
            sb.append(": ");
        }
        if (key != null) {
            sb.append(key);
            if (field != null) {
                sb.append('.').append(field);
            }
            sb.append(": ");
        } else if (field != null) {
            sb.append(field).append(": ");
        }
        sb.append(reason);
        return sb.toString();
    }
}

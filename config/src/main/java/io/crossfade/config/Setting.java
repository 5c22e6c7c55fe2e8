package io.crossfade.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One declared setting.
 *
 * @param key the setting key ({@link SettingKey})
 * @param value its JSON value; never null or JSON null. Callers must not mutate it.
 * @param owner who owns it, or null
 * @param description what it is for, or null
 * @param source where it was declared (file name), for messages; may be null
 */
public record Setting(String key, JsonNode value, String owner, String description, String source) {
    public Setting {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }
}

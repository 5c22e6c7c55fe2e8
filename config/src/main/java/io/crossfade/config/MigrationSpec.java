package io.crossfade.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * A planned change of one setting from {@code from} to {@code to}, as the settings files declare it.
 * The runtime part (current percent, paused, halted ...) is {@link MigrationStatus}, kept apart.
 *
 * @param key the setting that changes
 * @param from the old value (the setting's value unless the file says otherwise)
 * @param to the new value
 * @param salt the bucketing salt; the key unless the file says otherwise
 * @param initialPercent the percent, in thousandths, when this migration is first seen
 * @param owner who runs it, or null
 * @param expected what should happen, or null
 * @param rollback what to do if it goes wrong, or null
 * @param guard the guard rule (defaults when the file has none)
 * @param steps the ramp, empty when there is none
 * @param source the file that declared it, for messages; may be null
 * @param targeting its {@code include} and {@code exclude} cohorts ({@link Targeting#NONE} when none);
 *     not part of {@link #id()}, so editing them keeps the migration
 */
public record MigrationSpec(
        String key,
        JsonNode from,
        JsonNode to,
        String salt,
        int initialPercent,
        String owner,
        String expected,
        String rollback,
        GuardSpec guard,
        List<Step> steps,
        String source,
        Targeting targeting) {

    /** A migration without cohorts. */
    public MigrationSpec(String key, JsonNode from, JsonNode to, String salt, int initialPercent, String owner,
            String expected, String rollback, GuardSpec guard, List<Step> steps, String source) {
        this(key, from, to, salt, initialPercent, owner, expected, rollback, guard, steps, source, Targeting.NONE);
    }

    public MigrationSpec {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(salt, "salt");
        Objects.requireNonNull(guard, "guard");
        Objects.requireNonNull(targeting, "targeting");
        steps = List.copyOf(steps);
        if (initialPercent < 0 || initialPercent > Percent.FULL) {
            throw new IllegalArgumentException("initialPercent out of range: " + initialPercent);
        }
    }

    /**
     * The migration's identity: derived from (key, from, to, salt) only, so editing the owner,
     * notes, guard or steps keeps the migration (and its state), while a new {@code to} starts a
     * new one. 16 hex characters of a SHA-256.
     */
    public String id() {
        String material = key + '\u0000' + CanonicalJson.write(from) + '\u0000' + CanonicalJson.write(to) + '\u0000' + salt;
        return DigestUtils.sha256Hex(material.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    }

    /** True when the migration ramps itself through {@link #steps()}. */
    public boolean hasSteps() {
        return !steps.isEmpty();
    }
}

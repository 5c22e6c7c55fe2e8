package io.crossfade.sidecar.rollout;

import io.crossfade.config.SettingsProblem;
import java.time.Instant;
import java.util.List;

/**
 * Where the current settings came from and how the last reload went, for {@code /ready}.
 *
 * @param type {@code directory}
 * @param location the directory
 * @param version content hash of the files being served
 * @param lastKnownGood true when the files are the saved last-known-good copy because the directory is broken
 * @param loadedAt when the served files were loaded
 * @param lastError the last reload's problems (file, line, key, field, reason), or empty when the last reload
 *     succeeded
 * @param lastErrorAt when the last reload failed, or null
 */
public record SourceStatus(String type, String location, String version, boolean lastKnownGood, Instant loadedAt,
        List<SettingsProblem> lastError, Instant lastErrorAt) {

    public SourceStatus {
        lastError = lastError == null ? List.of() : List.copyOf(lastError);
    }

    /** This status after a failed reload. */
    public SourceStatus failed(List<SettingsProblem> problems, Instant at) {
        return new SourceStatus(type, location, version, lastKnownGood, loadedAt, problems, at);
    }
}

package io.crossfade.sidecar.source;

import io.crossfade.config.SettingsProblem;
import io.crossfade.config.SettingsSpec;
import java.util.List;

/**
 * A rule a parsed spec must also pass before it is served, beyond the files' own validity (e.g. the
 * proxy's settings header must fit in 8 KiB). A spec that fails it is rejected like a bad file: at
 * start it falls back to the last-known-good copy or stops the start; on reload the last good
 * settings keep serving. Must be pure and quick.
 */
@FunctionalInterface
public interface SpecCheck {

    /** A check that passes every spec. */
    SpecCheck NONE = spec -> List.of();

    /** The problems of {@code spec}; empty when it passes. */
    List<SettingsProblem> problems(SettingsSpec spec);
}

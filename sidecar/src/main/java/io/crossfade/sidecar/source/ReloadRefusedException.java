package io.crossfade.sidecar.source;

import io.crossfade.config.SettingsProblem;
import java.util.List;

/** An operator's reload that was refused; the last good settings keep serving. */
public final class ReloadRefusedException extends RuntimeException {

    private final List<SettingsProblem> problems;

    public ReloadRefusedException(List<SettingsProblem> problems) {
        super(SettingsDirectorySource.describe(problems), null, false, false);
        this.problems = List.copyOf(problems);
    }

    /** Why, file by file. */
    public List<SettingsProblem> problems() {
        return problems;
    }
}

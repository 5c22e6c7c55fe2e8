package io.crossfade.config;

import java.util.List;
import java.util.stream.Collectors;

/** The settings files are not valid; {@link #problems()} says where and why. Nothing of them may be applied. */
public final class SettingsException extends Exception {

    private final List<SettingsProblem> problems;

    public SettingsException(List<SettingsProblem> problems) {
        super(problems.stream().map(SettingsProblem::describe).collect(Collectors.joining("; ")));
        this.problems = List.copyOf(problems);
    }

    public SettingsException(SettingsProblem problem) {
        this(List.of(problem));
    }

    /** Every problem found, at least one. */
    public List<SettingsProblem> problems() {
        return problems;
    }
}

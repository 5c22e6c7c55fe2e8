package io.crossfade.sidecar.source;

import io.crossfade.config.SettingsProblem;
import io.crossfade.config.SettingsSpec;
import io.crossfade.sidecar.rollout.SourceStatus;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a settings source sends what it loaded: a valid spec to serve, or the problems of a reload
 * it refused. The rollout controller is the sink in a running sidecar; a source knows nothing else
 * about it.
 */
public interface SettingsSink {

    /**
     * Serves {@code spec}. Completes once it is durable and published, or exceptionally when it could
     * not be (the source then reports the failure through {@link #refused}).
     */
    CompletableFuture<?> apply(SettingsSpec spec, SourceStatus status);

    /** A reload was refused: keep serving what is served, and show {@code problems}. */
    void refused(List<SettingsProblem> problems);
}

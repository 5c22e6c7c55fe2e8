package io.crossfade.sidecar.source;

import java.util.concurrent.CompletableFuture;

/** An operator's "reload now" ({@code POST /admin/v1/reload}, {@code crossfade ctl reload}). */
public interface SettingsReload {

    /**
     * What a reload did.
     *
     * @param changed false when the files equal what is served (nothing was applied)
     * @param version the content version served after it
     */
    record ReloadResult(boolean changed, String version) {
    }

    /**
     * Loads the settings now.
     *
     * @param acceptRemovals lets this reload remove more settings than {@code --max-removal} allows
     * @param actor who asks, for the log
     * @return completes once the result is served, or exceptionally with a {@link ReloadRefusedException}
     */
    CompletableFuture<ReloadResult> reload(boolean acceptRemovals, String actor);
}

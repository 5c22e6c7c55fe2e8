package io.crossfade.sidecar.read;

import io.crossfade.config.Resolution;
import io.crossfade.config.SettingsSnapshot;

/**
 * One more way to write a read's answer, prepared by the {@link ResponseCache} beside the read API's
 * own document and bare value, so that another protocol over the same snapshot (OFREP) serves
 * prepared bytes decided by the same evaluation. Called once per (snapshot version, key, variant)
 * when a key's answers are first prepared, possibly on an event loop: must be pure, quick and
 * thread-safe.
 */
@FunctionalInterface
public interface ResponseForm {

    /**
     * @param snapshot the snapshot being answered from
     * @param resolution what a unit on one variant reads
     * @return the answer's bytes
     */
    byte[] render(SettingsSnapshot snapshot, Resolution resolution);
}

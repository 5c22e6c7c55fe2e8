package io.crossfade.sidecar.read;

import io.crossfade.config.Variant;

/**
 * What a prepared read response depends on: the snapshot version, the key, the variant the unit got,
 * and whether the bare value or the full document was asked for. The unit itself is not part of it,
 * so all units on one side share one prepared response.
 */
record ResponseKey(long version, String key, Variant variant, boolean bare) {
}

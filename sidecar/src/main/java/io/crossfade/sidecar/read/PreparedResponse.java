package io.crossfade.sidecar.read;

import io.crossfade.config.Variant;
import io.vertx.core.buffer.Buffer;

/**
 * A read answer serialised once and served many times: body bytes, ETag and variant header values,
 * and the variant itself (for metrics). Immutable; callers must not modify {@code body}.
 */
public record PreparedResponse(Buffer body, CharSequence etag, CharSequence variantHeader, Variant variant) {
}

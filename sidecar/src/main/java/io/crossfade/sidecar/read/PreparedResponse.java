package io.crossfade.sidecar.read;

import io.vertx.core.buffer.Buffer;

/** A read answer serialised once and served many times: body bytes, ETag and variant header values. */
record PreparedResponse(Buffer body, CharSequence etag, CharSequence variant) {
}

package io.crossfade.sidecar.http;

import io.crossfade.config.WireLimits;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads request bodies within {@link WireLimits#MAX_BODY_BYTES}, failing early instead of buffering
 * a huge body.
 */
public final class RequestBodies {

    /** A body over the limit; its message is {@link WireLimits#BODY_TOO_LARGE}. */
    public static final class TooLarge extends RuntimeException {
        TooLarge() {
            super(WireLimits.BODY_TOO_LARGE, null, false, false);
        }
    }

    private RequestBodies() {
    }

    /** True when the declared {@code Content-Length} is already over {@link WireLimits#MAX_BODY_BYTES}. */
    public static boolean declaredTooLarge(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return false;
        }
        try {
            return Long.parseLong(length.trim()) > WireLimits.MAX_BODY_BYTES;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * Reads the whole body, failing with {@link TooLarge} as soon as more than
     * {@link WireLimits#MAX_BODY_BYTES} arrive. Must be called before the request's first I/O callback
     * (i.e. synchronously in the handler).
     */
    public static Future<Buffer> read(HttpServerRequest request) {
        Promise<Buffer> promise = Promise.promise();
        if (declaredTooLarge(request)) {
            promise.fail(new TooLarge());
            return promise.future();
        }
        Buffer body = Buffer.buffer();
        request.handler(chunk -> {
            if (promise.future().isComplete()) {
                return;
            }
            if (body.length() + chunk.length() > WireLimits.MAX_BODY_BYTES) {
                promise.tryFail(new TooLarge());
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(promise::tryFail);
        request.endHandler(v -> promise.tryComplete(body));
        return promise.future();
    }
}

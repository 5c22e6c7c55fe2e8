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

    /**
     * A POST whose body is not declared JSON; already answered 415 by {@link #read}, so callers have
     * nothing left to say.
     */
    public static final class NotJson extends RuntimeException {
        NotJson() {
            super("the body is not declared JSON", null, false, false);
        }
    }

    private RequestBodies() {
    }

    /** True when Content-Type is {@code application/json} or {@code application/*+json}, any parameters. */
    public static boolean declaresJson(HttpServerRequest request) {
        String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
        if (type == null) {
            return false;
        }
        int semi = type.indexOf(';');
        String media = (semi < 0 ? type : type.substring(0, semi)).strip().toLowerCase(java.util.Locale.ROOT);
        return media.equals("application/json") || (media.startsWith("application/") && media.endsWith("+json"));
    }

    /**
     * True when the request says it has no body at all ({@code Content-Length: 0}, or HTTP/1.x with
     * neither a length nor chunks, as {@code curl -X POST} sends): such a POST needs no Content-Type,
     * since it carries nothing a page could forge (and admin calls need the bearer token anyway).
     */
    static boolean declaredEmpty(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            return length.strip().equals("0");
        }
        return request.version() != io.vertx.core.http.HttpVersion.HTTP_2
                && request.getHeader(HttpHeaders.TRANSFER_ENCODING) == null;
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
     * {@link WireLimits#MAX_BODY_BYTES} arrive. A POST with a body must declare {@code Content-Type: application/json}
     * (one without any body may leave it out, {@link #declaredEmpty}):
     * otherwise this answers 415 itself and fails with {@link NotJson} (a browser sends text/plain,
     * forms and untyped bodies across sites without a CORS preflight; requiring JSON closes that door
     * to web pages). Must be called before the request's first I/O callback (i.e. synchronously in
     * the handler).
     */
    public static Future<Buffer> read(HttpServerRequest request) {
        Promise<Buffer> promise = Promise.promise();
        if (request.method() == io.vertx.core.http.HttpMethod.POST && !declaresJson(request)
                && !(request.getHeader(HttpHeaders.CONTENT_TYPE) == null && declaredEmpty(request))) {
            HttpResponses.error(request, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "a POST body must be JSON, sent with"
                    + " Content-Type: application/json");
            promise.fail(new NotJson());
            return promise.future();
        }
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

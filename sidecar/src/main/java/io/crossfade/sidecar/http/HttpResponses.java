package io.crossfade.sidecar.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.crossfade.sidecar.json.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.apache.commons.codec.digest.MurmurHash3;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes JSON answers and the contract's error shape {@code {"error", "message"}}. */
public final class HttpResponses {

    private static final Logger LOG = LoggerFactory.getLogger(HttpResponses.class);

    /** {@code application/json; charset=utf-8}, prepared once. */
    public static final CharSequence JSON = HttpHeaders.createOptimized("application/json; charset=utf-8");

    private HttpResponses() {
    }

    /** Answers {@code status} with {@code body} serialised as JSON. */
    public static void json(HttpServerRequest request, int status, Object body) {
        byte[] bytes = serialise(request, body);
        if (bytes != null) {
            send(request, status, Buffer.buffer(bytes));
        }
    }

    /** {@code body} as JSON bytes, or null after answering 500 when it cannot be serialised. */
    private static byte[] serialise(HttpServerRequest request, Object body) {
        try {
            return Json.MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            LOG.error("cannot serialise a response", e);
            error(request, ErrorCode.INTERNAL, "the response could not be produced");
            return null;
        }
    }

    /**
     * Answers 200 with {@code body} as JSON and an {@code ETag} computed from its bytes, or 304
     * without a body when the request's {@code If-None-Match} names that tag: a poller that sends
     * back the last tag it saw gets a few bytes while nothing changed.
     */
    public static void jsonTagged(HttpServerRequest request, Object body) {
        byte[] bytes = serialise(request, body);
        if (bytes == null) {
            return;
        }
        String tag = contentTag(bytes);
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return;
        }
        response.putHeader(HttpHeaders.ETAG, tag);
        if (EntityTags.noneMatch(request.getHeader(HttpHeaders.IF_NONE_MATCH), tag)) {
            response.setStatusCode(304).end();
            return;
        }
        send(request, 200, Buffer.buffer(bytes));
    }

    /** A strong entity tag for {@code bytes}: 128 bits of their murmur3 hash, quoted. */
    public static String contentTag(byte[] bytes) {
        long[] h = MurmurHash3.hash128x64(bytes);
        return "\"" + Long.toHexString(h[0]) + Long.toHexString(h[1]) + "\"";
    }

    /** Answers {@code status} with a prepared JSON body. */
    public static void send(HttpServerRequest request, int status, Buffer body) {
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON);
        end(request, body);
    }

    /**
     * Ends the response with {@code body}, except that a HEAD answer gets the body's length and no
     * body: Vert.x leaves that to the handler on HTTP/2 (h2c), where it would otherwise send the body.
     */
    public static void end(HttpServerRequest request, Buffer body) {
        HttpServerResponse response = request.response();
        if (request.method() == HttpMethod.HEAD) {
            response.putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(body.length())).end();
        } else {
            response.end(body);
        }
    }

    /** Answers with the error shape and the code's status. */
    public static void error(HttpServerRequest request, ErrorCode code, String message) {
        var body = Json.MAPPER.createObjectNode().put("error", code.code()).put("message", message);
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return;
        }
        if (code == ErrorCode.PAYLOAD_TOO_LARGE) {
            // the rest of the body is not wanted: do not keep the connection for it
            response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
        response.setStatusCode(code.status()).putHeader(HttpHeaders.CONTENT_TYPE, JSON);
        end(request, Buffer.buffer(body.toString()));
    }

    /** 405 naming the methods the path accepts, with the {@code Allow} header. */
    public static void methodNotAllowed(HttpServerRequest request, String allowed) {
        request.response().putHeader("Allow", allowed);
        error(request, ErrorCode.METHOD_NOT_ALLOWED, request.method() + " is not allowed on " + request.path()
                + "; use " + allowed);
    }
}

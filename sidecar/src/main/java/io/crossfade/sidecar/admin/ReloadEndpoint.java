package io.crossfade.sidecar.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.http.ErrorCode;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.http.RequestBodies;
import io.crossfade.sidecar.source.ReloadRefusedException;
import io.crossfade.sidecar.source.SettingsReload;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.util.Iterator;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /admin/v1/reload} {@code {"acceptRemovals": true|false, "reason": "..."}}: loads the
 * settings directory now. With {@code acceptRemovals} this one reload may remove more settings than
 * {@code --max-removal} allows (never every setting). Answers 200
 * {@code {"changed": true|false, "version": "..."}} once the result is served, or 409
 * {@code conflict} with the problems in words when the reload is refused (the last good settings
 * keep serving). Authentication is the caller's ({@link AdminEndpoints}).
 */
final class ReloadEndpoint {

    static final String PATH = "/admin/v1/reload";

    private static final Logger LOG = LoggerFactory.getLogger(ReloadEndpoint.class);

    /** The answer. */
    record Answer(boolean changed, String version) {
    }

    private final SettingsReload reload;

    ReloadEndpoint(SettingsReload reload) {
        this.reload = reload;
    }

    void handle(HttpServerRequest request, String actor) {
        if (reload == null) {
            HttpResponses.error(request, ErrorCode.UNAVAILABLE, "this sidecar has no settings source to reload");
            return;
        }
        Context context = Vertx.currentContext();
        RequestBodies.read(request).onComplete(read -> {
            if (read.failed()) {
                if (read.cause() instanceof RequestBodies.TooLarge) {
                    HttpResponses.error(request, ErrorCode.PAYLOAD_TOO_LARGE, read.cause().getMessage());
                }
                return;
            }
            boolean accept;
            try {
                accept = acceptRemovals(read.result().getBytes());
            } catch (IllegalArgumentException e) {
                HttpResponses.error(request, ErrorCode.BAD_REQUEST, e.getMessage());
                return;
            }
            Future.fromCompletionStage(reload.reload(accept, actor), context).onComplete(done -> {
                if (done.succeeded()) {
                    HttpResponses.json(request, 200, new Answer(done.result().changed(), done.result().version()));
                    return;
                }
                Throwable cause = done.cause() instanceof CompletionException c && c.getCause() != null
                        ? c.getCause() : done.cause();
                if (cause instanceof ReloadRefusedException refused) {
                    HttpResponses.error(request, ErrorCode.CONFLICT, "reload refused, the last good settings keep"
                            + " serving: " + refused.getMessage());
                } else {
                    LOG.error("reload failed", cause);
                    HttpResponses.error(request, ErrorCode.UNAVAILABLE, "the reload failed: " + cause.getMessage());
                }
            });
        });
    }

    /** {@code acceptRemovals} of the body: absent or empty body means false. */
    static boolean acceptRemovals(byte[] body) {
        if (body.length == 0 || new String(body, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            return false;
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("the body must be a JSON object like {\"acceptRemovals\": true}");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the body must be a JSON object like {\"acceptRemovals\": true}");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!name.equals("acceptRemovals") && !name.equals("reason")) {
                throw new IllegalArgumentException("unknown field '" + name + "'; expected acceptRemovals and reason");
            }
        }
        JsonNode reason = root.get("reason");
        if (reason != null && !reason.isNull()) {
            if (!reason.isTextual()) {
                throw new IllegalArgumentException("reason must be a string");
            }
            String unfit = io.crossfade.config.InputText.unfitCharacter(reason.textValue(), false);
            if (unfit != null) {
                throw new IllegalArgumentException("reason must be one line of text, all of it visible; it contains " + unfit);
            }
        }
        JsonNode accept = root.get("acceptRemovals");
        if (accept == null || accept.isNull()) {
            return false;
        }
        if (!accept.isBoolean()) {
            throw new IllegalArgumentException("acceptRemovals must be true or false");
        }
        return accept.booleanValue();
    }
}

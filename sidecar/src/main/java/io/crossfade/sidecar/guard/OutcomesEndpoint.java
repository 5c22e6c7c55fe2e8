package io.crossfade.sidecar.guard;

import io.crossfade.config.WireLimits;
import io.crossfade.sidecar.http.Endpoints;
import io.crossfade.sidecar.http.ErrorCode;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.http.RequestBodies;
import io.crossfade.sidecar.http.Routes;
import io.crossfade.sidecar.json.Json;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/outcomes} on the read listener: services report how their requests went, per unit
 * or aggregated per variant, and the {@link Guard} judges the migrations they touch. Answers 202
 * {@code {"accepted": N, "dropped": M}} (counted in outcomes; dropped ones are for keys without a
 * running migration), 400 naming the entry and field of a malformed batch (nothing of it is
 * recorded), 413 over 64 KiB or {@value WireLimits#MAX_OUTCOMES_PER_REQUEST} entries, 405 for other methods.
 *
 * <p>Never blocks the event loop: bodies up to {@value #INLINE_PARSE_MAX_BYTES} bytes (a few dozen
 * outcomes, tens of microseconds) are parsed in place; larger ones on a worker thread, so that a
 * 64 KiB batch does not hold up the reads queued behind it. Recording itself is lock-free.
 */
public final class OutcomesEndpoint implements Endpoints {

    /** The path served. */
    public static final String PATH = "/v1/outcomes";

    /** Bodies up to this size are parsed on the event loop. */
    public static final int INLINE_PARSE_MAX_BYTES = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(OutcomesEndpoint.class);

    private final Vertx vertx;
    private final Guard guard;

    public OutcomesEndpoint(Vertx vertx, Guard guard) {
        this.vertx = vertx;
        this.guard = guard;
    }

    @Override
    public void addRoutes(Routes routes) {
        routes.post(PATH, (request, params) -> report(request));
    }

    private void report(HttpServerRequest request) {
        RequestBodies.read(request).onComplete(read -> {
            if (read.failed()) {
                if (read.cause() instanceof RequestBodies.TooLarge) {
                    HttpResponses.error(request, ErrorCode.PAYLOAD_TOO_LARGE, WireLimits.BODY_TOO_LARGE
                            + "; send outcomes in several batches");
                } else {
                    LOG.debug("reading an outcomes body failed: {}", read.cause().toString());
                }
                return;
            }
            parse(read.result()).onComplete(parsed -> {
                if (parsed.succeeded()) {
                    Guard.Recorded recorded = guard.record(parsed.result(), OutcomeSource.API);
                    HttpResponses.json(request, 202, Json.MAPPER.createObjectNode()
                            .put("accepted", recorded.accepted()).put("dropped", recorded.dropped()));
                } else if (parsed.cause() instanceof OutcomeBatch.Invalid invalid) {
                    HttpResponses.error(request, invalid.tooLarge() ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.BAD_REQUEST,
                            invalid.getMessage());
                } else {
                    LOG.error("parsing outcomes failed", parsed.cause());
                    HttpResponses.error(request, ErrorCode.INTERNAL, "the outcomes could not be processed; see the log");
                }
            });
        });
    }

    private Future<List<Outcome>> parse(Buffer body) {
        byte[] bytes = body.getBytes();
        if (bytes.length <= INLINE_PARSE_MAX_BYTES) {
            try {
                return Future.succeededFuture(OutcomeBatch.parse(bytes));
            } catch (OutcomeBatch.Invalid e) {
                return Future.failedFuture(e);
            }
        }
        return vertx.executeBlocking(() -> OutcomeBatch.parse(bytes), false);
    }
}

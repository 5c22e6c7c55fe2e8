package io.crossfade.sidecar.notify;

import java.time.Instant;
import java.util.Objects;

/**
 * One notification for one webhook, waiting to be delivered. Immutable; kept in the state directory
 * until it is delivered or abandoned.
 *
 * @param id {@code <seq>-<event time in epoch ms>-<url index>}: unique (also across a fleet store that
 *     was reset and numbers its events afresh), and the same in every attempt ({@code X-Crossfade-Delivery},
 *     so that a receiver can drop a repeat)
 * @param seq the audit event's sequence number
 * @param action the audit event's action ({@code X-Crossfade-Event})
 * @param url where to post it
 * @param body the request body, rendered once so that every attempt sends (and signs) the same bytes
 * @param createdAt when the event was taken in; it is abandoned an hour later
 * @param attempts failed attempts so far
 * @param nextAttemptAt when to try next
 * @param lastError why the last attempt failed, or null
 */
public record Delivery(String id, long seq, String action, String url, String body, Instant createdAt, int attempts,
        Instant nextAttemptAt, String lastError) {

    public Delivery {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(nextAttemptAt, "nextAttemptAt");
    }

    /** This delivery after a failed attempt: tried again at {@code next}. */
    Delivery failed(String error, Instant next) {
        return new Delivery(id, seq, action, url, body, createdAt, attempts + 1, next, error);
    }
}

package io.crossfade.client;

/**
 * What became of the outcomes given to {@link CrossfadeClient#recordOutcome}, since the client was
 * built. Immutable; a snapshot of counters that keep moving.
 *
 * @param recorded calls to {@code recordOutcome}
 * @param sent outcomes the sidecar accepted
 * @param dropped outcomes never queued: the queue was full, the client was closed, or the key or unit
 *     could never be accepted by the sidecar
 * @param failed outcomes queued but given up: the sidecar refused them or could not be reached in the
 *     allowed attempts, or they were still unsent when {@code close()} gave up waiting
 * @param queued outcomes waiting to be sent now
 */
public record OutcomeCounts(long recorded, long sent, long dropped, long failed, int queued) {
}

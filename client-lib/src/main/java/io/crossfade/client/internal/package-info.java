/**
 * The client's machinery, not for use by services: following the sidecar ({@link
 * io.crossfade.client.internal.SnapshotFollower}), typed conversions and their near-cache ({@link
 * io.crossfade.client.internal.TypedValues}), and outcome batching ({@link
 * io.crossfade.client.internal.OutcomeReporter}).
 */
package io.crossfade.client.internal;

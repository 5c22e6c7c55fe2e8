/**
 * The Crossfade client for Java services: {@link io.crossfade.client.CrossfadeClient} reads settings
 * in-process from the sidecar's latest snapshot, with the sidecar's own bucketing, keeps following the
 * sidecar's changes, and reports outcomes for the guard. The public surface is this package: the
 * client and its builder, the immutable {@link io.crossfade.client.Details} of a read, its
 * {@link io.crossfade.client.ErrorCode}, and {@link io.crossfade.client.OutcomeCounts}. Everything in
 * {@code io.crossfade.client.internal} may change without notice.
 */
package io.crossfade.client;

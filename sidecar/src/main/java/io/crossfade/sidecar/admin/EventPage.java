package io.crossfade.sidecar.admin;

import java.util.List;

/**
 * The answer of {@code GET /admin/v1/events}, read back by {@code crossfade ctl events}.
 *
 * @param events oldest first
 * @param next the {@code since} of the next page: the last event's {@code seq}, or the request's
 *     {@code since} when the page is empty
 * @param more true when more events follow this page
 * @param lastSeq the newest event's {@code seq} in the whole log
 */
public record EventPage(List<EventView> events, long next, boolean more, long lastSeq) {
}

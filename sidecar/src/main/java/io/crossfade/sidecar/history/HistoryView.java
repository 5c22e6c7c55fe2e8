package io.crossfade.sidecar.history;

import java.util.List;

/**
 * The answer of {@code GET /admin/v1/migrations/{key}/history}.
 *
 * @param key the setting key
 * @param id the migration's identity; the history restarts when it changes
 * @param interval how often a point is taken besides one after each change, e.g. {@code 10s}
 * @param span how far back points are kept, e.g. {@code 1h}
 * @param points oldest first
 */
public record HistoryView(String key, String id, String interval, String span, List<Point> points) {

    public HistoryView {
        points = List.copyOf(points);
    }
}

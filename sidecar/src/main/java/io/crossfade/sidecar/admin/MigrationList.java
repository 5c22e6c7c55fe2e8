package io.crossfade.sidecar.admin;

import java.util.List;

/**
 * The answer of {@code GET /admin/v1/migrations}, read back by {@code crossfade ctl status}.
 *
 * @param version the snapshot version the list was taken from
 * @param migrations every migration the snapshot serves, in key order
 */
public record MigrationList(long version, List<MigrationView> migrations) {
}

package io.crossfade.sidecar.rollout;

import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.MigrationStatus;
import io.crossfade.config.Percent;

/**
 * The sentence that explains why editing {@code percent:} in a settings file did not move a
 * migration: the file's percent only starts a migration; after that the state (operators, the guard,
 * the ramp) decides. Shown in {@code /ready} and the admin view as {@code note}, and logged when a
 * reload changes the file's percent, so a silent no-op becomes a visible one.
 */
public final class StartingPercent {

    private StartingPercent() {
    }

    /**
     * The note for a migration whose file declares a percent other than its state's, or null when
     * they agree, the spec is unknown ({@code null}), or the migration is completed (nothing to set).
     */
    public static String note(MigrationSpec spec, MigrationStatus status) {
        if (spec == null || status.state() == MigrationState.COMPLETED || spec.initialPercent() == status.percent()) {
            return null;
        }
        String file = Percent.format(spec.initialPercent());
        return "the file's percent " + file + " is only the starting percent; the state is "
                + Percent.format(status.percent()) + " (" + status.state().wireName() + "); use `crossfade ctl set "
                + spec.key() + " " + file + "` to change it";
    }
}

package io.crossfade.sidecar.rollout;

import io.crossfade.config.ActiveMigration;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.MigrationStatus;
import io.crossfade.config.Percent;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The sentence that explains why editing {@code percent:} in a settings file did not move a
 * migration: the file's percent only starts a migration; after that the state (operators, the guard,
 * the ramp) decides. Shown in {@code /ready} and the admin view as {@code note}, and logged when a
 * reload changes the file's percent, so a silent no-op becomes a visible one.
 *
 * <p>The note belongs to that edit only: a state that differs from the file because an operator set
 * it ({@code ctl set}) needs no advice to undo the change, and the next operator change of the
 * migration answers the edit (it is the operator's decision now). See {@link #unfollowedEdits}.
 */
public final class StartingPercent {

    /** The operator actions after which an edit of the file's percent is answered. */
    private static final Set<String> OPERATOR_ACTIONS = Set.of("set_percent", "pause", "resume", "rollback", "complete");

    private StartingPercent() {
    }

    /**
     * The keys whose file percent was edited and that the state does not follow, after a publication
     * of {@code now} that follows {@code previous} (null for the first) and carries {@code events}.
     * A key is in when a reload changed its migration's {@code percent:} (same migration id) or it
     * was in before, and stays in until an operator changes that migration, the migration is
     * replaced, or the state comes to agree with the file (or completes). Pure.
     */
    static Set<String> unfollowedEdits(PublishedState previous, Map<String, ActiveMigration> now,
            List<AuditEvent> events) {
        Set<String> edits = new TreeSet<>();
        if (previous == null) {
            return edits;
        }
        Set<String> answered = new TreeSet<>();
        for (AuditEvent e : events) {
            if (OPERATOR_ACTIONS.contains(e.action()) && !RolloutController.GUARD_ACTOR.equals(e.actor())) {
                answered.add(e.key());
            }
        }
        for (ActiveMigration m : now.values()) {
            String key = m.spec().key();
            ActiveMigration before = previous.snapshot().migrations().get(key);
            if (before == null || !before.id().equals(m.id()) || answered.contains(key)) {
                continue;
            }
            boolean edited = before.spec().initialPercent() != m.spec().initialPercent();
            if ((edited || previous.startingPercentEdits().contains(key)) && note(m.spec(), m.status()) != null) {
                edits.add(key);
            }
        }
        return edits;
    }

    /**
     * The note for a migration whose file declares a percent other than its state's, or null when
     * they agree, the spec is unknown ({@code null}), or the migration is completed (nothing to set).
     */
    static String note(MigrationSpec spec, MigrationStatus status) {
        if (spec == null || status.state() == MigrationState.COMPLETED || spec.initialPercent() == status.percent()) {
            return null;
        }
        String file = Percent.format(spec.initialPercent());
        return "the file's percent " + file + " is only the starting percent; the state is "
                + Percent.format(status.percent()) + " (" + status.state().wireName() + "); use `crossfade ctl set "
                + spec.key() + " " + file + "` to change it";
    }
}

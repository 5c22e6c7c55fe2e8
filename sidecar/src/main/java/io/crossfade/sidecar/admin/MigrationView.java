package io.crossfade.sidecar.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.Durations;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationStatus;
import io.crossfade.config.Percent;
import io.crossfade.config.Step;
import io.crossfade.sidecar.guard.GuardView;
import io.crossfade.sidecar.guard.MigrationHealth;
import io.crossfade.sidecar.rollout.MigrationRecord;
import io.crossfade.sidecar.rollout.StartingPercent;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * A migration as the admin API shows it: what the files declare ({@code spec}), what operators, the
 * guard and the ramp made of it ({@code state}), its {@code revision} (also the {@code ETag}, for
 * {@code If-Match}) and, once the guard supplies it, its {@code health} in the guard window.
 *
 * @param key the setting key
 * @param id the migration's identity (from key, from, to and salt)
 * @param revision audit sequence number of the last change; send it back as {@code If-Match}
 * @param spec what the settings files declare
 * @param state the durable state
 * @param health the guard's view: status and per-variant outcome counts and error rates in its
 *     window, from {@link MigrationHealth}; null until the guard knows something
 * @param note why an edit of the file's percent did not move the state ({@link StartingPercent}), or null
 * @param cohorts who is placed before the percent: the files' lists and the operator's, apart
 */
public record MigrationView(String key, String id, long revision, Spec spec, State state, GuardView health, String note,
        Cohorts cohorts) {

    /** Units shown per cohort; {@link CohortView#unitCount()} says how many there are. */
    public static final int UNITS_SHOWN = 100;

    /**
     * A migration's cohorts. Exclude wins over include, both over the percent.
     *
     * @param include the files' include list: named cohorts and units listed inline
     * @param exclude the files' exclude list
     * @param operatorInclude units operators included ({@code ctl include}), sorted
     * @param operatorExclude units operators excluded ({@code ctl exclude}), sorted
     */
    public record Cohorts(List<CohortView> include, List<CohortView> exclude, List<String> operatorInclude,
            List<String> operatorExclude) {
    }

    /**
     * One cohort of the files.
     *
     * @param cohort its name; null for units listed inline in the migration
     * @param units the first {@link #UNITS_SHOWN} units
     * @param unitCount how many units it lists
     * @param prefixes its prefixes
     * @param file its cohort file, or null
     */
    public record CohortView(String cohort, List<String> units, int unitCount, List<String> prefixes, String file) {
        static CohortView of(io.crossfade.config.Cohort c) {
            List<String> units = c.units().size() <= UNITS_SHOWN ? c.units() : c.units().subList(0, UNITS_SHOWN);
            return new CohortView(c.name(), units, c.units().size(), c.prefixes(), c.file());
        }
    }

    /**
     * The declared part.
     *
     * @param from the old value
     * @param to the new value
     * @param salt the bucketing salt
     * @param initialPercent the percent the migration started at
     * @param owner who runs it, or null
     * @param expected what should happen, or null
     * @param rollback what to do if it goes wrong, or null
     * @param guard the guard rule
     * @param steps the ramp, empty when there is none
     * @param source the file that declares it
     */
    public record Spec(JsonNode from, JsonNode to, String salt, BigDecimal initialPercent, String owner,
            String expected, String rollback, Guard guard, List<RampStep> steps, String source) {
    }

    /** The guard rule; {@code window} as {@code 60s}, {@code action} as {@code halt} or {@code rollback}. */
    public record Guard(double maxErrorRate, double maxRatio, int minSamples, String window, double confidence,
            String action) {
    }

    /** One ramp step; {@code hold} as {@code 5m}, null on the last step. */
    public record RampStep(BigDecimal percent, String hold) {
    }

    /**
     * The durable state.
     *
     * @param percent share of units on the new value now (0 when rolled back, 100 when completed)
     * @param state {@code running}, {@code paused}, {@code halted}, {@code rolled_back} or {@code completed}
     * @param revision as {@link MigrationView#revision()}
     * @param manual true when an operator's {@code percent} took a ramped migration off its ramp
     *     (until {@code resume})
     * @param ramp where the migration is on its ramp, or null when it has no steps
     * @param reason the reason given with the last change
     * @param createdAt when the migration was first seen
     * @param updatedAt when it last changed
     */
    public record State(BigDecimal percent, String state, long revision, boolean manual, Ramp ramp, String reason,
            Instant createdAt, Instant updatedAt) {
    }

    /**
     * A ramp position.
     *
     * @param step the step being held, from 1
     * @param of the number of steps
     * @param holding true while the hold clock runs (running and on the ramp)
     * @param heldSeconds how long the step has been held, counting only running time
     */
    public record Ramp(int step, int of, boolean holding, long heldSeconds) {
    }

    /**
     * The view of one migration.
     *
     * @param spec the declaration, or null when the migration was retired since {@code record} was
     *     made (a response racing with a reload)
     * @param health the guard's view, or null
     * @param note {@link io.crossfade.sidecar.rollout.PublishedState#startingPercentNote}, or null
     */
    public static MigrationView of(MigrationSpec spec, MigrationRecord record, GuardView health, Instant now,
            String note) {
        MigrationStatus status = record.status();
        Ramp ramp = record.stepIndex() < 0 || spec == null ? null
                : new Ramp(record.stepIndex() + 1, spec.steps().size(), record.holdStartedAt() != null,
                        record.held(now).toSeconds());
        State state = new State(Percent.toDecimal(status.effectivePercent()), status.state().wireName(),
                record.revision(), record.manual(), ramp, record.reason(), record.createdAt(), record.updatedAt());
        List<CohortView> include = spec == null ? List.of() : spec.targeting().include().stream().map(CohortView::of).toList();
        List<CohortView> exclude = spec == null ? List.of() : spec.targeting().exclude().stream().map(CohortView::of).toList();
        Cohorts cohorts = new Cohorts(include, exclude, record.operatorInclude(), record.operatorExclude());
        return new MigrationView(record.key(), record.id(), record.revision(), spec == null ? null : spec(spec),
                state, health, note, cohorts);
    }

    private static Spec spec(MigrationSpec m) {
        GuardSpec g = m.guard();
        Guard guard = new Guard(g.maxErrorRate(), g.maxRatio(), g.minSamples(), Durations.format(g.window()),
                g.confidence(), g.action().wireName());
        List<RampStep> steps = m.steps().stream().map(MigrationView::step).toList();
        return new Spec(m.from(), m.to(), m.salt(), Percent.toDecimal(m.initialPercent()), m.owner(), m.expected(),
                m.rollback(), guard, steps, m.source());
    }

    private static RampStep step(Step s) {
        return new RampStep(Percent.toDecimal(s.percent()), s.hold() == null ? null : Durations.format(s.hold()));
    }
}

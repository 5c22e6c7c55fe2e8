package io.crossfade.sidecar.health;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.Percent;
import io.crossfade.config.SettingsProblem;
import io.crossfade.sidecar.guard.GuardView;
import io.crossfade.sidecar.guard.MigrationHealth;
import io.crossfade.sidecar.rollout.MigrationRecord;
import io.crossfade.sidecar.rollout.PublishedState;
import io.crossfade.sidecar.rollout.SourceStatus;
import io.crossfade.sidecar.rollout.StateDirectoryStatus;
import io.crossfade.sidecar.rollout.StoreStatus;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code GET /ready}. While starting, only {@code status} ({@code "starting"}); once a
 * snapshot is served, the source, its version, any reload error and each migration's state.
 *
 * @param status {@code starting}; {@code ready}; or {@code last_known_good} while the settings files
 *     are refused and the last-known-good copy saved in the state directory is served instead
 *     ({@code source.reloadError} says why)
 * @param version the snapshot version served
 * @param source where the settings come from
 * @param settings how many settings are served
 * @param migrations each migration, by setting key
 * @param store how the shared store is doing; left out for a sidecar's own state directory
 * @param stateDirectory whether the state directory takes writes ({@code writable}, {@code problem}
 *     in words, {@code since}); left out with a shared store
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ReadyView(String status, Long version, Source source, Integer settings,
        Map<String, Migration> migrations, StoreStatus store, StateDirectory stateDirectory) {

    /** The status while the files are refused and the saved copy is served. */
    public static final String LAST_KNOWN_GOOD = "last_known_good";

    /** The answer before the first snapshot. */
    public static final ReadyView STARTING = new ReadyView("starting", null, null, null, null, null, null);

    /**
     * The state directory: while it refuses writes, settings are still served, operator changes are
     * answered 503 with {@code problem}, and the sidecar tries again by itself. {@code pendingWrite}
     * lists the keys whose guard halt or rollback is served but not saved yet.
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record StateDirectory(boolean writable, String problem, String since, List<String> pendingWrite) {

        static StateDirectory of(StateDirectoryStatus s) {
            return s == null ? null : new StateDirectory(s.writable(), s.problem(), s.since().toString(),
                    s.pendingWrite());
        }
    }

    /**
     * The settings source.
     *
     * @param type e.g. {@code directory}
     * @param location e.g. the directory; left out where paths must not be shown
     * @param version the source's version of what is served
     * @param lastKnownGood true when the served settings are the saved copy, not the source's
     * @param loadedAt when they were loaded (ISO-8601)
     * @param reloadError the last rejected reload, or null
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Source(String type, @JsonInclude(JsonInclude.Include.NON_NULL) String location, String version, boolean lastKnownGood, String loadedAt,
            ReloadError reloadError) {
    }

    /** A rejected reload: when, and every problem found. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ReloadError(String at, List<Problem> problems) {
    }

    /** One problem of a rejected reload; null where unknown, {@code message} all of it in one sentence. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Problem(String file, Integer line, String key, String field, String reason, String message) {

        static Problem of(SettingsProblem p, String hiddenLocation) {
            return new Problem(p.file(), p.line() > 0 ? p.line() : null, p.key(), p.field(),
                    hide(p.reason(), hiddenLocation), hide(p.describe(), hiddenLocation));
        }

        private static String hide(String text, String location) {
            return text == null || location == null || location.isEmpty() ? text
                    : text.replace(location, "the settings directory");
        }
    }

    /**
     * One migration.
     *
     * @param id its identity
     * @param state its state's wire name
     * @param percent share of units on the new value
     * @param reason the reason of its last change, left out when there is none
     * @param note why an edit of the file's percent did not move the state
     *     ({@link io.crossfade.sidecar.rollout.StartingPercent}), left out otherwise
     * @param health the guard's view, its fields merged in; left out without one
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Migration(String id, String state, BigDecimal percent,
            @JsonInclude(JsonInclude.Include.NON_NULL) String reason,
            @JsonInclude(JsonInclude.Include.NON_NULL) String note,
            @JsonUnwrapped GuardView health) {
    }

    /**
     * The view of {@code state}, with each migration's health from {@code health} and the shared
     * store's status, or null. Without {@code showPaths} (the read listener) the settings directory
     * is left out and replaced by "the settings directory" in problems.
     */
    public static ReadyView of(PublishedState state, MigrationHealth health, StoreStatus store, boolean showPaths) {
        return of(state, health, store, null, showPaths);
    }

    /** As {@link #of(PublishedState, MigrationHealth, StoreStatus, boolean)}, with the state directory's status. */
    public static ReadyView of(PublishedState state, MigrationHealth health, StoreStatus store,
            StateDirectoryStatus stateDirectory, boolean showPaths) {
        SourceStatus s = state.source();
        String hidden = showPaths ? null : s.location();
        ReloadError error = s.lastError().isEmpty() ? null : new ReloadError(
                s.lastErrorAt() == null ? null : s.lastErrorAt().toString(),
                s.lastError().stream().map(p -> Problem.of(p, hidden)).toList());
        Source source = new Source(s.type(), showPaths ? s.location() : null, s.version(), s.lastKnownGood(),
                s.loadedAt() == null ? null : s.loadedAt().toString(), error);
        Map<String, Migration> migrations = new LinkedHashMap<>();
        for (ActiveMigration m : state.snapshot().migrations().values()) {
            String key = m.spec().key();
            MigrationRecord record = state.records().get(key);
            migrations.put(key, new Migration(m.id(), m.status().state().wireName(),
                    Percent.toDecimal(m.status().effectivePercent()), record == null ? null : record.reason(),
                    state.startingPercentNote(key), health.describe(key).orElse(null)));
        }
        return new ReadyView(s.lastKnownGood() ? LAST_KNOWN_GOOD : "ready", state.snapshot().version(), source,
                state.snapshot().spec().settings().size(), migrations, store, StateDirectory.of(stateDirectory));
    }
}

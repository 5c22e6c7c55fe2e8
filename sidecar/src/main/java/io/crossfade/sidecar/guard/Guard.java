package io.crossfade.sidecar.guard;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.DaemonThreads;
import io.crossfade.config.Durations;
import io.crossfade.config.GuardAction;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.Percent;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.Change;
import io.crossfade.sidecar.rollout.PublishedState;
import io.crossfade.sidecar.rollout.RolloutController;
import io.crossfade.sidecar.rollout.AuditEvent;
import io.crossfade.sidecar.rollout.MigrationRecord;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guard: watches the outcomes of every running migration and halts or rolls back one whose new
 * variant's errors spike ({@link TripRule}), through the rollout controller's durable, audited path
 * (actor {@value #ACTOR}); and, on the same thread, climbs ramps ({@link StepScheduler}).
 *
 * <p>Flow: services {@link #record report outcomes} (on an event loop: a snapshot read, a bucketing
 * hash for per-unit outcomes, and {@code LongAdder} adds into the migration's {@link OutcomeWindow});
 * each batch asks the guard's single thread to evaluate the migrations it touched, and a timer does
 * so every {@link #TICK} as well, so a rule that became true is acted on within milliseconds and at
 * the latest one tick later. Durable migration changes arrive through
 * {@link RolloutController#onMigrationChange}: a migration that runs again (an operator's
 * {@code resume}, or a {@code set} after a rollback) starts with a fresh window, so the outcomes that
 * tripped the guard do not trip it again.
 *
 * <p>Thread-safety: {@link #record} and {@link #describe} may be called from any thread; all
 * decisions are taken on the guard's own thread, one at a time.
 */
public final class Guard implements MigrationHealth, AutoCloseable {

    /** The audit actor of the guard's decisions. */
    public static final String ACTOR = "guard";

    /** How often the guard re-evaluates every window and the ramps advance. */
    public static final Duration TICK = Duration.ofMillis(200);

    /** Start of every reason the guard writes, so that a trip is recognisable after a restart. */
    static final String TRIP_PREFIX = "guard tripped: ";

    private static final Logger LOG = LoggerFactory.getLogger(Guard.class);

    private final RolloutController controller;
    private final GuardMetrics metrics;
    private final Clock clock;
    private final LongSupplier millis;
    private final ConcurrentHashMap<String, MigrationWatch> watches = new ConcurrentHashMap<>();
    private final ScheduledExecutorService thread;
    private final StepScheduler steps;

    /** What a batch of outcomes came to, counted in outcomes (an aggregated entry counts ok + errors). */
    public record Recorded(long accepted, long dropped) {
    }

    /**
     * @param controller where decisions go and migrations' state comes from
     * @param registry where the guard's meters go
     * @param clock wall clock, for ramp holds (which are persisted as wall-clock times)
     * @param millis monotonic milliseconds, for outcome windows
     */
    public Guard(RolloutController controller, MeterRegistry registry, Clock clock, LongSupplier millis) {
        this.controller = Objects.requireNonNull(controller, "controller");
        this.metrics = new GuardMetrics(registry);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.millis = Objects.requireNonNull(millis, "millis");
        this.thread = DaemonThreads.scheduler("crossfade-guard");
        this.steps = new StepScheduler(controller, watches, thread);
    }

    /** A guard on the system clocks. */
    public Guard(RolloutController controller, MeterRegistry registry, Clock clock) {
        this(controller, registry, clock, OutcomeWindow::monotonicMillis);
    }

    /** Starts watching: call once, after the controller has started. */
    public void start() {
        controller.onMigrationChange(event -> submit(() -> changed(event)));
        submit(this::seed);
        thread.scheduleWithFixedDelay(this::tick, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Takes a batch of outcomes. Outcomes of running migrations go into their windows; the others
     * (unknown key, setting without migration, migration not running) are counted in
     * {@code crossfade_outcomes_dropped_total} and dropped. Never blocks; safe on an event loop.
     */
    public Recorded record(List<Outcome> outcomes) {
        PublishedState state = controller.current();
        SettingsSnapshot snapshot = state.snapshot();
        long accepted = 0;
        long dropped = 0;
        // Summed per migration first and added to each window in one step, so that an evaluation
        // running meanwhile (the timer's) never judges half a batch.
        List<MigrationWatch> touched = new ArrayList<>(2);
        List<long[]> sums = new ArrayList<>(2);
        for (Outcome outcome : outcomes) {
            long ok;
            long errors;
            if (outcome instanceof Outcome.PerUnit unit) {
                ok = unit.ok() ? 1 : 0;
                errors = 1 - ok;
            } else {
                Outcome.Aggregated aggregated = (Outcome.Aggregated) outcome;
                ok = aggregated.ok();
                errors = aggregated.errors();
            }
            ActiveMigration migration = snapshot.migration(outcome.key());
            DropReason reason = migration == null
                    ? (snapshot.contains(outcome.key()) ? DropReason.NO_MIGRATION : DropReason.UNKNOWN_KEY)
                    : migration.status().state() != MigrationState.RUNNING ? DropReason.NOT_RUNNING : null;
            if (reason != null) {
                metrics.dropped(reason, ok + errors);
                dropped += ok + errors;
                continue;
            }
            Variant variant = outcome instanceof Outcome.PerUnit unit ? migration.variantFor(unit.unit())
                    : ((Outcome.Aggregated) outcome).variant();
            MigrationWatch watch = watchFor(migration, state);
            int index = touched.indexOf(watch);
            if (index < 0) {
                index = touched.size();
                touched.add(watch);
                sums.add(new long[4]);
            }
            long[] sum = sums.get(index);
            int offset = variant == Variant.NEW ? 2 : 0;
            sum[offset] += ok;
            sum[offset + 1] += errors;
            accepted += ok + errors;
        }
        for (int i = 0; i < touched.size(); i++) {
            MigrationWatch watch = touched.get(i);
            long[] sum = sums.get(i);
            watch.record(sum[0], sum[1], sum[2], sum[3]);
            metrics.outcomes(watch.key, sum[0], sum[1], sum[2], sum[3]);
            requestEvaluation(watch);
        }
        return new Recorded(accepted, dropped);
    }

    /**
     * The guard's and the ramp's view of the migration of {@code key}, for {@code /ready} and the
     * admin API: {@code {"guard": {...}, "ramp": {...}}} ({@code ramp} only when it has steps). The
     * guard part has the status ({@code waiting_for_samples}, {@code healthy}, {@code tripping},
     * {@code tripped}, {@code idle}), a message, the window's per-variant ok and error counts and
     * error rates, the rule, and the last trip. Empty when {@code key} has no migration. Cheap
     * enough for an event loop (sums of a few hundred counters); any thread.
     */
    @Override
    public Optional<GuardDescription> describe(String key) {
        PublishedState state = controller.current();
        ActiveMigration migration = state == null ? null : state.snapshot().migration(key);
        MigrationRecord record = state == null ? null : state.records().get(key);
        if (migration == null || record == null) {
            return Optional.empty();
        }
        MigrationSpec spec = migration.spec();
        GuardSpec rule = spec.guard();
        MigrationWatch watch = watches.get(key);
        if (watch == null || !watch.migrationId.equals(migration.id())) {
            watch = watchFor(migration, state);
        }
        WindowCounts counts = watch.window().counts();
        ObjectNode doc = Json.MAPPER.createObjectNode();
        ObjectNode guard = doc.putObject("guard");
        GuardStatus status = watch.status;
        String message;
        if (status == GuardStatus.WAITING_FOR_SAMPLES || status == GuardStatus.HEALTHY) {
            // judged on the same counts that are shown next to it, not on the last tick's
            Verdict verdict = TripRule.evaluate(rule, counts);
            status = verdict.trips() ? GuardStatus.TRIPPING : verdict.kind() == Verdict.Kind.WAITING_FOR_SAMPLES
                    ? GuardStatus.WAITING_FOR_SAMPLES : GuardStatus.HEALTHY;
            message = verdict.explanation();
        } else {
            message = statusMessage(watch, status);
        }
        guard.put("status", status.wireName());
        guard.put("message", message);
        guard.put("window", Durations.format(watch.window().length()));
        ObjectNode variants = guard.putObject("outcomes");
        for (Variant v : List.of(Variant.OLD, Variant.NEW)) {
            ObjectNode node = variants.putObject(v.wireName());
            node.put("ok", counts.ok(v));
            node.put("errors", counts.errors(v));
            Double rate = TripRule.rate(counts, v);
            if (rate == null) {
                node.putNull("errorRate");
            } else {
                node.put("errorRate", rate);
            }
        }
        ObjectNode r = guard.putObject("rule");
        r.put("maxErrorRate", rule.maxErrorRate());
        r.put("maxRatio", rule.maxRatio());
        r.put("minSamples", rule.minSamples());
        r.put("confidence", rule.confidence());
        r.put("action", rule.action().wireName());
        if (watch.lastTripAt == null) {
            guard.putNull("lastTrip");
        } else {
            guard.putObject("lastTrip").put("at", watch.lastTripAt.toString()).put("action", watch.lastTripAction)
                    .put("reason", watch.lastTripReason);
        }
        if (spec.hasSteps()) {
            RampStatus ramp = RampStatus.assess(spec, record, watch.holdSamples(), status,
                    verdictMessage(spec, watch), clock.instant());
            ObjectNode node = doc.putObject("ramp");
            node.put("phase", ramp.phase().wireName());
            node.put("step", ramp.step());
            node.put("steps", ramp.steps());
            node.put("percent", Percent.toDecimal(ramp.percent()));
            if (ramp.hold() == null) {
                node.putNull("holdMillis");
            } else {
                node.put("holdMillis", ramp.hold().toMillis());
            }
            node.put("heldMillis", ramp.held().toMillis());
            node.put("remainingMillis", ramp.remaining().toMillis());
            node.put("newOutcomesThisHold", ramp.samples());
            node.put("minSamples", ramp.minSamples());
            node.put("message", ramp.message());
        }
        return Optional.of(new GuardDescription(doc.get("guard"), doc.get("ramp")));
    }

    private static String statusMessage(MigrationWatch watch, GuardStatus status) {
        switch (status) {
            case TRIPPING:
            case TRIPPED:
                return watch.lastTripReason == null ? status.wireName() : watch.lastTripReason;
            default:
                return "not watching: the migration is " + (watch.lastState == null ? "not running"
                        : watch.lastState.wireName()) + "; outcomes are dropped until it runs again";
        }
    }

    /** The explanation of the guard's current verdict on {@code watch}'s window (guard thread or readers). */
    static String verdictMessage(MigrationSpec spec, MigrationWatch watch) {
        return TripRule.evaluate(spec.guard(), watch.window().counts()).explanation();
    }

    // ---- the guard's thread ----

    private void submit(Runnable task) {
        try {
            thread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.error("guard task failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    private void requestEvaluation(MigrationWatch watch) {
        if (watch.evaluationPending.compareAndSet(false, true)) {
            submit(() -> {
                watch.evaluationPending.set(false);
                evaluate(watch, controller.current());
            });
        }
    }

    /** The watch of {@code migration}, created when it is new (or replaced one of an older migration id). */
    private MigrationWatch watchFor(ActiveMigration migration, PublishedState state) {
        String key = migration.spec().key();
        MigrationWatch watch = watches.get(key);
        if (watch != null && watch.migrationId.equals(migration.id())) {
            return watch;
        }
        return watches.compute(key, (k, old) -> {
            if (old != null && old.migrationId.equals(migration.id())) {
                return old;
            }
            MigrationRecord record = state.records().get(key);
            int stepIndex = record == null ? -1 : record.stepIndex();
            MigrationState s = record == null ? migration.status().state() : record.state();
            MigrationWatch fresh = new MigrationWatch(key, migration.id(), migration.spec().guard().window(),
                    stepIndex, s, millis);
            if (record != null && s != MigrationState.RUNNING && record.reason() != null
                    && record.reason().startsWith(TRIP_PREFIX)) {
                // halted or rolled back by the guard before a restart: still its decision
                fresh.status = GuardStatus.TRIPPED;
                fresh.lastTripAt = record.updatedAt();
                fresh.lastTripAction = s == MigrationState.ROLLED_BACK ? "rollback" : "halt";
                fresh.lastTripReason = record.reason();
            }
            return fresh;
        });
    }

    private void seed() {
        PublishedState state = controller.current();
        for (ActiveMigration m : state.snapshot().migrations().values()) {
            watchFor(m, state);
        }
    }

    private void tick() {
        try {
            PublishedState state = controller.current();
            SettingsSnapshot snapshot = state.snapshot();
            watches.entrySet().removeIf(e -> {
                ActiveMigration m = snapshot.migration(e.getKey());
                return m == null || !m.id().equals(e.getValue().migrationId);
            });
            for (ActiveMigration m : snapshot.migrations().values()) {
                evaluate(watchFor(m, state), state);
            }
            steps.tick(controller.current(), clock.instant());
        } catch (RuntimeException e) {
            LOG.error("guard tick failed", e);
        }
    }

    /** Judges one migration's window and acts when the rule holds. Guard thread only. */
    private void evaluate(MigrationWatch watch, PublishedState state) {
        ActiveMigration migration = state.snapshot().migration(watch.key);
        MigrationRecord record = state.records().get(watch.key);
        if (migration == null || record == null || !migration.id().equals(watch.migrationId)) {
            return;
        }
        GuardSpec rule = migration.spec().guard();
        if (!watch.window().length().equals(rule.window())) {
            watch.freshWindow(rule.window()); // the files changed the window: start one of the new length
        }
        if (record.state() != MigrationState.RUNNING || watch.status == GuardStatus.TRIPPING
                || watch.status == GuardStatus.TRIPPED) {
            return;
        }
        Verdict verdict = TripRule.evaluate(rule, watch.window().counts());
        if (verdict.trips()) {
            trip(watch, rule.action(), verdict);
        } else {
            watch.status = verdict.kind() == Verdict.Kind.WAITING_FOR_SAMPLES ? GuardStatus.WAITING_FOR_SAMPLES
                    : GuardStatus.HEALTHY;
        }
    }

    private void trip(MigrationWatch watch, GuardAction action, Verdict verdict) {
        String reason = TRIP_PREFIX + verdict.explanation();
        watch.status = GuardStatus.TRIPPING;
        watch.lastTripReason = reason;
        Change change = action == GuardAction.ROLLBACK ? new Change.Rollback() : new Change.Halt();
        LOG.warn("guard trips on {}: {}", watch.key, verdict.explanation());
        controller.change(watch.key, change, ACTOR, reason, null).whenComplete((record, error) -> submit(() -> {
            if (error == null) {
                watch.status = GuardStatus.TRIPPED;
                watch.lastTripAt = record.updatedAt();
                watch.lastTripAction = action.wireName();
                watch.lastFailure = null;
                metrics.trip(watch.key, action);
                return;
            }
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            if (!Objects.equals(cause.getMessage(), watch.lastFailure)) {
                LOG.warn("guard could not {} {}: {}; it tries again while the rule holds", action.wireName(),
                        watch.key, cause.getMessage());
                watch.lastFailure = cause.getMessage();
            }
            // the next evaluation decides again, on the state as it is then
            watch.status = GuardStatus.WAITING_FOR_SAMPLES;
            PublishedState now = controller.current();
            MigrationRecord current = now.records().get(watch.key);
            if (current != null && current.state() != MigrationState.RUNNING) {
                watch.status = GuardStatus.IDLE;
            }
        }));
    }

    /** A durable change to a migration. Guard thread only. */
    private void changed(AuditEvent event) {
        MigrationRecord record = event.record();
        if (record == null) {
            watches.remove(event.key()); // retired
            return;
        }
        PublishedState state = controller.current();
        ActiveMigration migration = state.snapshot().migration(event.key());
        if (migration == null || !migration.id().equals(record.id())) {
            return; // already replaced by a later change; the tick catches up
        }
        MigrationWatch watch = watchFor(migration, state);
        MigrationState before = watch.lastState;
        MigrationState after = record.state();
        watch.lastState = after;
        if (after == MigrationState.RUNNING) {
            if (before != MigrationState.RUNNING || "resume".equals(event.action())) {
                // running again (resume, or set after a rollback): judge only what happens from now on
                watch.freshWindow(migration.spec().guard().window());
                watch.status = GuardStatus.WAITING_FOR_SAMPLES;
            }
        } else if (ACTOR.equals(event.actor())) {
            watch.status = GuardStatus.TRIPPED;
        } else if (watch.status != GuardStatus.TRIPPING) {
            watch.status = GuardStatus.IDLE;
        }
        if (record.stepIndex() != watch.hold().stepIndex || startsAFreshHold(record, event)) {
            watch.freshHold(record.stepIndex());
        }
    }

    /** True when {@code event} started the hold clock from zero: a new step, a creation, back on the ramp. */
    private static boolean startsAFreshHold(MigrationRecord record, AuditEvent event) {
        return record.stepIndex() >= 0 && record.heldMillis() == 0 && record.holdStartedAt() != null
                && record.holdStartedAt().equals(event.time());
    }

    /** Stops the guard's thread; outcomes recorded afterwards are still counted but never judged. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

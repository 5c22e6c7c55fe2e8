package io.crossfade.sidecar.guard;

import io.crossfade.config.ActiveMigration;
import io.crossfade.config.DaemonThreads;
import io.crossfade.config.GuardAction;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.Placement;
import io.crossfade.config.Variant;
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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guard: watches the outcomes of every running migration and halts or rolls back one whose new
 * variant's errors spike ({@link TripDecision}), through the rollout controller's durable, audited path
 * (actor {@value #ACTOR}); and, on the same thread, climbs ramps ({@link StepScheduler}).
 *
 * <p>Flow: services {@link #record report outcomes} (on an event loop: a snapshot read, a bucketing
 * hash for per-unit outcomes, and {@code LongAdder} adds into the migration's {@link OutcomeWindow});
 * each batch asks the guard's single thread to evaluate the migrations it touched (each at most once
 * per {@link #EVALUATION_GAP}), and a timer does so every {@link #TICK} as well, so a rule that became
 * true is acted on within milliseconds and at the latest one tick later. Durable migration changes arrive through
 * {@link RolloutController#onMigrationChange}: a migration that runs again (an operator's
 * {@code resume}, or a {@code set} after a rollback) starts with a fresh window, so the outcomes that
 * tripped the guard do not trip it again.
 *
 * <p>In a fleet, the counts judged come through an {@link OutcomePool}: every live sidecar's counts
 * of the same migration identity added up, so 40 sidecars that each see 10 outcomes a second are
 * judged as 400. Every sidecar grows the evidence on the pooled counts (so each shows it), but only
 * the one the pool names as the fleet's judge asks for a trip or a ramp step: one martingale, one
 * chance to halt falsely, however many sidecars look. While the store cannot be reached, every
 * sidecar judges for itself (safety first; the trip is written when the store returns). Ramp holds
 * are measured by a {@link HoldClock}: this sidecar's clock on its own, the store's in a fleet.
 *
 * <p>Thread-safety: {@link #record} and {@link #describe} may be called from any thread; all
 * decisions are taken on the guard's own thread, one at a time.
 */
public final class Guard implements MigrationHealth, AutoCloseable {

    /** The audit actor of the guard's decisions. */
    public static final String ACTOR = RolloutController.GUARD_ACTOR;

    /** How often the guard re-evaluates every window and the ramps advance. */
    public static final Duration TICK = Duration.ofMillis(200);

    /**
     * Shortest time between two looks at one migration that recorded outcomes ask for: the most a
     * trip waits beyond the outcome that made the rule true (the {@link #TICK} looks regardless).
     */
    static final Duration EVALUATION_GAP = Duration.ofMillis(5);

    /**
     * How far behind the outcomes the stored evidence may be: what a crash or a deploy loses of the
     * test's data (never the test itself).
     */
    public static final Duration EVIDENCE_SAVE_INTERVAL = Duration.ofSeconds(2);

    /** Start of every reason the guard writes. */
    static final String TRIP_PREFIX = "guard tripped: ";

    private static final Logger LOG = LoggerFactory.getLogger(Guard.class);

    private final RolloutController controller;
    private final GuardMetrics metrics;
    private final Clock clock;
    private final Watches watches;
    private final ScheduledExecutorService thread;
    private final StepScheduler steps;
    private final OutcomePool pool;
    private final HoldClock holds;
    private final EvidenceStore evidenceStore;
    private final java.util.Map<String, StoredEvidence> storedEvidence = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ExecutorService saver;
    private final java.util.concurrent.atomic.AtomicBoolean saving = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.Map<String, StoredEvidence> unsaved = new java.util.concurrent.ConcurrentHashMap<>();
    private long lastSaveMillis;
    private String lastSaveFailure;

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
        this(controller, registry, clock, millis, OutcomePool.LOCAL, HoldClock.LOCAL);
    }

    /**
     * A guard whose counts and hold clock may be a fleet's.
     *
     * @param pool where the counts judged come from, and whether this guard acts on its verdicts
     * @param holds how long ramp steps have been held
     */
    public Guard(RolloutController controller, MeterRegistry registry, Clock clock, LongSupplier millis,
            OutcomePool pool, HoldClock holds) {
        this(controller, registry, clock, millis, pool, holds, EvidenceStore.NONE);
    }

    /**
     * A guard that keeps its evidence in {@code evidenceStore}, so that a restart resumes the same
     * test. Reads what is stored at once (call before serving).
     *
     * @param evidenceStore where the evidence is kept
     */
    public Guard(RolloutController controller, MeterRegistry registry, Clock clock, LongSupplier millis,
            OutcomePool pool, HoldClock holds, EvidenceStore evidenceStore) {
        this.evidenceStore = Objects.requireNonNull(evidenceStore, "evidenceStore");
        try {
            storedEvidence.putAll(evidenceStore.loadAll());
        } catch (java.io.IOException e) {
            LOG.warn("the guard's stored evidence cannot be read ({}); every running migration's test starts afresh",
                    e.getMessage());
        }
        this.saver = java.util.concurrent.Executors.newSingleThreadExecutor(DaemonThreads.factory("crossfade-evidence"));
        this.controller = Objects.requireNonNull(controller, "controller");
        dropEvidenceOfRunsSinceStarted();
        this.metrics = new GuardMetrics(registry);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.pool = Objects.requireNonNull(pool, "pool");
        this.holds = Objects.requireNonNull(holds, "holds");
        this.watches = new Watches(Objects.requireNonNull(millis, "millis"), pool);
        this.thread = DaemonThreads.scheduler("crossfade-guard");
        this.steps = new StepScheduler(controller, watches, thread, holds);
        watches.onCreate(this::resumeStored);
    }

    /** A guard on the system clocks, its evidence kept in {@code evidenceStore}. */
    public Guard(RolloutController controller, MeterRegistry registry, Clock clock, OutcomePool pool,
            HoldClock holds, EvidenceStore evidenceStore) {
        this(controller, registry, clock, OutcomeWindow::monotonicMillis, pool, holds, evidenceStore);
    }

    /**
     * Forgets stored evidence whose migration ran again after it was saved (a resume, a set after a
     * rollback: each starts the test afresh, and the evidence may be what tripped it). Reads the
     * audit trail since each save; called once, before the guard serves.
     */
    private void dropEvidenceOfRunsSinceStarted() {
        PublishedState state = controller.current();
        storedEvidence.values().removeIf(stored -> {
            for (MigrationRecord record : state == null ? java.util.List.<MigrationRecord>of() : state.records().values()) {
                if (!record.id().equals(stored.migrationId())) {
                    continue;
                }
                for (AuditEvent e : controller.audit().page(stored.revision(), record.key(), 10_000)) {
                    String before = e.from() == null ? null : e.from().path("state").asText();
                    String after = e.to() == null ? null : e.to().path("state").asText();
                    if (e.seq() > stored.revision() && !"running".equals(before) && "running".equals(after)) {
                        LOG.info("guard evidence of {} not resumed: the migration ran again since it was saved",
                                record.key());
                        return true;
                    }
                }
                return false;
            }
            return true; // a migration no longer served
        });
    }

    /**
     * Resumes a new watch's stored evidence, when there is some and the migration has not run again
     * since it was saved (checked when the guard was made). Runs inside the watch's creation, on any
     * thread: memory only.
     */
    private void resumeStored(MigrationWatch watch, MigrationRecord record) {
        StoredEvidence stored = storedEvidence.remove(watch.migrationId);
        if (stored == null || record == null || record.state() != MigrationState.RUNNING) {
            return;
        }
        try {
            watch.resume(stored);
            LOG.info("guard evidence of {} resumed from the state directory: the same test carries on", watch.key);
        } catch (IllegalArgumentException e) {
            LOG.warn("guard evidence of {} cannot be resumed ({}); its test starts afresh", watch.key, e.getMessage());
        }
    }

    /** A guard on the system clocks whose counts and hold clock may be a fleet's. */
    public Guard(RolloutController controller, MeterRegistry registry, Clock clock, OutcomePool pool,
            HoldClock holds) {
        this(controller, registry, clock, OutcomeWindow::monotonicMillis, pool, holds);
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
        return record(outcomes, OutcomeSource.API);
    }

    /**
     * As {@link #record(List)}, counting the outcomes under {@code source} ({@code proxy} or
     * {@code api}) in the outcome counters; the guard judges them alike.
     */
    public Recorded record(List<Outcome> outcomes, OutcomeSource source) {
        PublishedState state = controller.current();
        SettingsSnapshot snapshot = state.snapshot();
        long accepted = 0;
        long dropped = 0;
        // Summed per migration first and added to each window in one step, so that an evaluation
        // running meanwhile (the timer's) never judges half a batch.
        List<MigrationWatch> touched = new ArrayList<>(2);
        List<long[]> sums = new ArrayList<>(2);
        List<long[]> unitSums = new ArrayList<>(2);
        // Units a cohort placed (include/exclude) were not randomised: never compared, counted apart.
        List<long[]> cohortSums = new ArrayList<>(2);
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
                metrics.dropped(reason, source, ok + errors);
                dropped += ok + errors;
                continue;
            }
            MigrationWatch watch = watches.watchFor(migration, state);
            int index = touched.indexOf(watch);
            if (index < 0) {
                index = touched.size();
                touched.add(watch);
                sums.add(new long[4]);
                unitSums.add(null);
                cohortSums.add(null);
            }
            if (outcome instanceof Outcome.PerUnit unit) {
                // the unit is the sample: counted by side and by the unit's group
                Placement placed = migration.placementFor(unit.unit());
                List<long[]> into = placed.byCohort() ? cohortSums : unitSums;
                long[] groups = into.get(index);
                if (groups == null) {
                    groups = new long[UnitGroups.SIZE];
                    into.set(index, groups);
                }
                int side = placed.variant() == Variant.NEW ? UnitGroups.NEW : UnitGroups.OLD;
                int at = UnitGroups.index(side, UnitGroups.of(unit.unit()));
                groups[at]++;
                groups[at + 1] += errors;
            } else {
                long[] sum = sums.get(index);
                int offset = ((Outcome.Aggregated) outcome).variant() == Variant.NEW ? 2 : 0;
                sum[offset] += ok;
                sum[offset + 1] += errors;
            }
            accepted += ok + errors;
        }
        for (int i = 0; i < touched.size(); i++) {
            MigrationWatch watch = touched.get(i);
            long[] sum = sums.get(i);
            long oOk = sum[0];
            long oErr = sum[1];
            long nOk = sum[2];
            long nErr = sum[3];
            if (sum[0] + sum[1] + sum[2] + sum[3] > 0) {
                watch.record(sum[0], sum[1], sum[2], sum[3]);
            }
            if (cohortSums.get(i) != null) {
                watch.recordCohort(cohortSums.get(i));
            }
            for (long[] groups : new long[][] {unitSums.get(i), cohortSums.get(i)}) {
                if (groups == null) {
                    continue;
                }
                if (groups == unitSums.get(i)) {
                    watch.recordUnits(groups);
                }
                WindowCounts counted = UnitGroups.totals(groups);
                oOk += counted.oldOk();
                oErr += counted.oldErrors();
                nOk += counted.newOk();
                nErr += counted.newErrors();
            }
            metrics.outcomes(watch.key, source, oOk, oErr, nOk, nErr);
            requestEvaluation(watch);
        }
        return new Recorded(accepted, dropped);
    }

    /**
     * The guard's and the ramp's view of the migration of {@code key}, for {@code /ready}, the admin
     * API and {@code crossfade ctl}; empty when {@code key} has no migration. The message and
     * evidence are judged on the same window counts that are shown beside them. Cheap enough for an
     * event loop (sums of a few hundred counters, a few exponentials); any thread.
     */
    @Override
    public Optional<GuardView> describe(String key) {
        PublishedState state = controller.current();
        ActiveMigration migration = state == null ? null : state.snapshot().migration(key);
        MigrationRecord record = state == null ? null : state.records().get(key);
        if (migration == null || record == null) {
            return Optional.empty();
        }
        MigrationSpec spec = migration.spec();
        GuardSpec rule = spec.guard();
        MigrationWatch watch = watches.watchFor(migration, state);
        WindowCounts counts = watch.judgedWindow();
        Verdict verdict = watch.lastVerdict();
        if (verdict == null) {
            verdict = TripDecision.decide(rule, ChangeEvidence.none(rule), ChangeEvidence.none(rule), counts);
        }
        GuardStatus status = watch.status;
        String message;
        if (GuardStatusMachine.watching(status)) {
            status = verdict.trips() ? GuardStatus.TRIPPING : verdict.kind() == Verdict.Kind.WAITING_FOR_SAMPLES
                    ? GuardStatus.WAITING_FOR_SAMPLES : GuardStatus.HEALTHY;
            message = verdict.explanation();
            String pooled = pool.describe(migration.id());
            if (pooled != null) {
                message = message + " (" + pooled + ")";
            }
        } else {
            message = statusMessage(watch, status);
        }
        GuardView.Trip lastTrip = watch.lastTripAt == null ? null
                : new GuardView.Trip(watch.lastTripAt, watch.lastTripAction, watch.lastTripReason);
        GuardView.Watch guardPart = new GuardView.Watch(status.wireName(), message, GuardView.window(spec),
                GuardView.outcomes(counts, watch.cohortWindow().counts()), GuardView.evidence(rule, watch.lastUnits(), watch.lastRequests(), verdict),
                GuardView.rule(rule), lastTrip);
        GuardView.Ramp ramp = null;
        if (spec.hasSteps()) {
            ramp = GuardView.Ramp.of(RampStatus.assess(spec, record, heldNow(spec, record), watch.holdSamples(),
                    status, verdict.explanation()));
        }
        return Optional.of(new GuardView(guardPart, ramp));
    }

    /** How long the current step of {@code record} has been held, by this guard's {@link HoldClock}. */
    private java.time.Duration heldNow(MigrationSpec spec, MigrationRecord record) {
        return StepScheduler.held(holds, spec, record, clock.instant());
    }

    /**
     * What this sidecar's guard has counted of each served migration since it last started afresh, by
     * migration id: what a fleet heartbeat publishes for the fleet's judge. Any thread; cheap.
     */
    public java.util.Map<String, RunCounts> published() {
        PublishedState state = controller.current();
        java.util.Map<String, RunCounts> out = new java.util.TreeMap<>();
        if (state == null) {
            return out;
        }
        for (ActiveMigration m : state.snapshot().migrations().values()) {
            MigrationWatch watch = watches.get(m.spec().key());
            if (watch != null && watch.migrationId.equals(m.id())) {
                out.put(m.id(), watch.published());
            }
        }
        return out;
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

    /**
     * Asks the guard's thread to look at {@code watch} soon: at once when its last look is at least
     * {@link #EVALUATION_GAP} old, else when that gap is over. One request is pending at a time, so
     * a stream of outcomes (the proxy reports one per response, thousands a second) wakes the guard's
     * thread at most once per gap per migration instead of once per response, which cost a futex wake
     * and a full look (with its explanation string) on the event loop's core each time.
     */
    private void requestEvaluation(MigrationWatch watch) {
        // a plain read first: under load the flag is nearly always set, and even a failing
        // compare-and-set takes the cache line away from the other event loops
        if (watch.evaluationPending.get() || !watch.evaluationPending.compareAndSet(false, true)) {
            return;
        }
        Runnable look = () -> {
            watch.evaluationPending.set(false);
            watch.lastRequestedLookNanos = System.nanoTime();
            evaluate(watch, controller.current());
        };
        long wait = watch.lastRequestedLookNanos + EVALUATION_GAP.toNanos() - System.nanoTime();
        if (wait <= 0) {
            submit(look);
            return;
        }
        try {
            thread.schedule(() -> submit(look), wait, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    private void seed() {
        PublishedState state = controller.current();
        for (ActiveMigration m : state.snapshot().migrations().values()) {
            watches.watchFor(m, state);
        }
    }

    private void tick() {
        try {
            PublishedState state = controller.current();
            SettingsSnapshot snapshot = state.snapshot();
            watches.retainServed(snapshot);
            for (ActiveMigration m : snapshot.migrations().values()) {
                evaluate(watches.watchFor(m, state), state);
            }
            if (pool.judges()) {
                // Ramps advance once per step for the whole fleet: the judge takes every step.
                steps.tick(controller.current(), clock.instant());
            }
            saveEvidence(state);
        } catch (RuntimeException e) {
            LOG.error("guard tick failed", e);
        }
    }

    /**
     * Every {@link #EVIDENCE_SAVE_INTERVAL}, hands the running migrations' evidence to the saver
     * thread (the latest per migration; a slow disk skips saves, it never queues them). Guard thread.
     */
    private void saveEvidence(PublishedState state) {
        if (evidenceStore == EvidenceStore.NONE) {
            return;
        }
        long now = System.nanoTime() / 1_000_000;
        if (now - lastSaveMillis < EVIDENCE_SAVE_INTERVAL.toMillis()) {
            return;
        }
        lastSaveMillis = now;
        java.util.Set<String> served = new java.util.HashSet<>();
        for (ActiveMigration m : state.snapshot().migrations().values()) {
            served.add(m.id());
            MigrationWatch watch = watches.get(m.spec().key());
            MigrationRecord record = state.records().get(m.spec().key());
            if (watch != null && record != null && watch.migrationId.equals(m.id())
                    && record.state() == MigrationState.RUNNING && GuardStatusMachine.watching(watch.status)
                    && watch.evidenceOutcomes() != watch.storedOutcomes) {
                // only evidence that grew: a hundred quiet migrations cost no fsyncs
                watch.storedOutcomes = watch.evidenceOutcomes();
                unsaved.put(m.id(), watch.storedEvidence(record.revision()));
            }
        }
        if (!saving.compareAndSet(false, true)) {
            return;
        }
        try {
            saver.execute(() -> {
                try {
                    for (String id : java.util.List.copyOf(unsaved.keySet())) {
                        StoredEvidence e = unsaved.remove(id);
                        if (e != null) {
                            evidenceStore.save(e);
                        }
                    }
                    evidenceStore.retain(served);
                    lastSaveFailure = null;
                } catch (java.io.IOException | RuntimeException e) {
                    if (!Objects.equals(lastSaveFailure, e.getMessage())) {
                        LOG.warn("the guard could not store its evidence ({}); it keeps judging and tries again",
                                e.getMessage());
                        lastSaveFailure = e.getMessage();
                    }
                } finally {
                    saving.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            saving.set(false);
        }
    }

    /** One look at one migration: grows its evidence, decides, and acts on a trip. Guard thread only. */
    private void evaluate(MigrationWatch watch, PublishedState state) {
        ActiveMigration migration = state.snapshot().migration(watch.key);
        MigrationRecord record = state.records().get(watch.key);
        if (migration == null || record == null || !migration.id().equals(watch.migrationId)
                || record.state() != MigrationState.RUNNING || !GuardStatusMachine.watching(watch.status)) {
            return;
        }
        GuardSpec rule = migration.spec().guard();
        Verdict verdict = watch.look(rule);
        metrics.evidence(watch.key, verdict.toHalt());
        if (verdict.trips()) {
            if (!pool.judges()) {
                // Another sidecar is the fleet's judge: it sees the same pooled counts and commits the
                // trip once; this one serves it when the watch brings it.
                return;
            }
            trip(watch, rule.action(), verdict);
        } else {
            watch.status = GuardStatusMachine.next(watch.status, verdict.kind() == Verdict.Kind.WAITING_FOR_SAMPLES
                    ? GuardStatusMachine.Event.JUDGED_WAITING : GuardStatusMachine.Event.JUDGED_HEALTHY);
        }
    }

    private void trip(MigrationWatch watch, GuardAction action, Verdict verdict) {
        String reason = TRIP_PREFIX + verdict.explanation();
        watch.status = GuardStatusMachine.next(watch.status, GuardStatusMachine.Event.TRIP_ASKED);
        watch.lastTripReason = reason;
        Change change = action == GuardAction.ROLLBACK ? new Change.Rollback() : new Change.Halt();
        LOG.warn("guard trips on {}: {}", watch.key, verdict.explanation());
        controller.change(watch.key, change, ACTOR, reason, null).whenComplete((record, error) -> submit(() -> {
            if (error == null) {
                watch.status = GuardStatusMachine.next(watch.status, GuardStatusMachine.Event.TRIP_DURABLE);
                watch.lastTripAt = record.updatedAt();
                watch.lastTripAction = action.wireName();
                watch.lastFailure = null;
                metrics.trip(watch.key, action);
                return;
            }
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            if (!Objects.equals(cause.getMessage(), watch.lastFailure)) {
                LOG.warn("guard could not {} {}: {}; it tries again while the evidence holds", action.wireName(),
                        watch.key, cause.getMessage());
                watch.lastFailure = cause.getMessage();
            }
            // the next look decides again, on the state as it is then
            MigrationRecord current = controller.current().records().get(watch.key);
            watch.status = GuardStatusMachine.next(watch.status, current != null
                    && current.state() != MigrationState.RUNNING ? GuardStatusMachine.Event.STOPPED_BY_OTHER
                    : GuardStatusMachine.Event.TRIP_REFUSED);
        }));
    }

    /**
     * A durable change to a migration. Guard thread only. A migration that starts running again
     * (resume after a halt or pause, a percent set after a rollback) starts with a fresh window and
     * fresh evidence, so the outcomes that tripped the guard do not trip it again; a percent change
     * of a running migration keeps both (the evidence stays valid across exposures).
     */
    private void changed(AuditEvent event) {
        MigrationRecord record = event.record();
        if (record == null) {
            watches.retire(event.key());
            return;
        }
        PublishedState state = controller.current();
        ActiveMigration migration = state.snapshot().migration(event.key());
        if (migration == null || !migration.id().equals(record.id())) {
            return; // already replaced by a later change; the tick catches up
        }
        MigrationWatch watch = watches.watchFor(migration, state);
        MigrationState before = watch.lastState;
        MigrationState after = record.state();
        watch.lastState = after;
        if (after == MigrationState.RUNNING) {
            if (before != MigrationState.RUNNING) {
                watch.freshStart(migration.spec().guard());
                watch.status = GuardStatusMachine.next(watch.status, GuardStatusMachine.Event.RAN_AGAIN);
            }
        } else {
            watch.status = GuardStatusMachine.next(watch.status, ACTOR.equals(record.haltedBy())
                    ? GuardStatusMachine.Event.STOPPED_BY_GUARD : GuardStatusMachine.Event.STOPPED_BY_OTHER);
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
        saver.shutdown();
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

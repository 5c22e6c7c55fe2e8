package io.crossfade.sidecar.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.MigrationState;
import io.crossfade.sidecar.guard.HoldClock;
import io.crossfade.sidecar.guard.OutcomePool;
import io.crossfade.sidecar.guard.GuardTotals;
import io.crossfade.sidecar.guard.RunCounts;
import io.crossfade.sidecar.guard.WindowCounts;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.MigrationRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;

/**
 * A fleet's guard counts and ramp clock, from the fleet store: what lets the sidecars of a fleet judge
 * one migration as one.
 *
 * <h2>Pooled counts</h2>
 * Every sidecar publishes, in its heartbeat (once a second, under its lease), what its guard counted
 * of each migration identity since it last started afresh ({@link RunCounts}). The pool adds them up
 * per migration identity: this sidecar's own live counts, plus each other live instance's last
 * published ones. Running totals never go down: when an instance's lease expires, or its counts start
 * again (a restart, a resume), what it had published stays in the totals (those outcomes were seen;
 * they are judged once, never taken back), and only its later outcomes are added. Window counts are the
 * live instances' only: a dead instance's window expires with its lease.
 *
 * <h2>One judge</h2>
 * Every sidecar grows the same statistic on these pooled counts (so each shows how far the evidence
 * is), but only the fleet's judge acts on it: the instance holding the store's {@code judge} key,
 * created once under its heartbeat lease ({@link EtcdMigrationStore#isJudge()}). It commits a trip by
 * compare-and-swap; the others serve it when their watch brings it. So the fleet's false-halt bound
 * is the statistic's, {@code 1 - confidence}, for as long as one judge judges a run: N sidecars look,
 * one decides. The key is sticky (a sidecar that joins never takes it from a live judge), so the judge
 * changes only when it dies or loses etcd; its successor has been growing its own evidence on the same
 * pooled counts all along and carries on, with no fresh start. Its evidence is a second martingale on
 * the same data, so a run that sees J judges is bounded by {@code J (1 - confidence)} in the worst
 * case (in practice the paths nearly coincide). While the store cannot be reached, every sidecar
 * judges alone: safety first, and a trip taken then is written once the store is back.
 *
 * <h2>Hold clock</h2>
 * A ramp hold is timed by etcd, not by a sidecar's clock: when the judge first sees a hold (a record
 * on a step with its hold clock running), it puts a marker naming the hold and a timer key under a
 * lease of the hold's remaining length ({@link EtcdMigrationStore#startHold}). The hold has passed when
 * the timer has expired by etcd's clock. A sidecar whose clock runs ahead cannot cut a hold short; a
 * judge that takes over mid-hold finds the timer where its predecessor left it.
 *
 * <p>Thread-safety: any thread; the bookkeeping of published counts is guarded by {@code this}. Every
 * call reads the store's in-memory copy of the heartbeats, never etcd.
 */
public final class FleetPool implements OutcomePool, HoldClock {

    /** One instance's last published counts of one migration. */
    private record Published(String run, GuardTotals total) {
    }

    private final EtcdMigrationStore store;
    private final String self;

    // Guarded by this, by migration id: each other instance's last published counts, and what instances
    // that have gone, or started their counts again, had published before.
    private final Map<String, Map<String, Published>> seen = new HashMap<>();
    private final Map<String, GuardTotals> archived = new HashMap<>();

    public FleetPool(EtcdMigrationStore store) {
        this.store = Objects.requireNonNull(store, "store");
        this.self = store.instanceId();
    }

    @Override
    public synchronized GuardTotals totals(String migrationId, GuardTotals own) {
        Map<String, Published> latest = refresh(migrationId);
        GuardTotals sum = own.plus(archived.getOrDefault(migrationId, GuardTotals.EMPTY));
        for (Published p : latest.values()) {
            sum = sum.plus(p.total());
        }
        return sum;
    }

    @Override
    public WindowCounts window(String migrationId, WindowCounts own) {
        WindowCounts sum = own;
        for (Map.Entry<String, JsonNode> e : store.instances().entrySet()) {
            RunCounts counts = countsOf(e.getKey(), e.getValue(), migrationId);
            if (counts != null && counts.window() != null) {
                sum = plus(sum, counts.window());
            }
        }
        return sum;
    }

    @Override
    public boolean judges() {
        // Without etcd no one can know whether the judge lives: each sidecar judges alone (safety first).
        return store.isJudge() || !store.status().map(s -> s.connected()).orElse(false);
    }

    @Override
    public String describe(String migrationId) {
        int sharing = 1;
        for (Map.Entry<String, JsonNode> e : store.instances().entrySet()) {
            if (countsOf(e.getKey(), e.getValue(), migrationId) != null) {
                sharing++;
            }
        }
        String judge = store.judge();
        String who;
        if (!store.status().map(s -> s.connected()).orElse(false)) {
            who = "the fleet store cannot be reached: this sidecar judges alone until it is back";
        } else if (judge == null) {
            who = "the fleet is electing its judge";
        } else {
            who = self.equals(judge) ? "this sidecar is the fleet's judge" : "judged by " + judge;
        }
        return "pooled over " + sharing + " sidecar" + (sharing == 1 ? "" : "s") + "; " + who;
    }

    @Override
    public Duration held(MigrationRecord record, Duration hold, Instant now) {
        Duration wall = record.held(now);
        if (hold == null || record.holdStartedAt() == null || record.manual()
                || record.state() != MigrationState.RUNNING) {
            return wall;
        }
        Duration justShort = hold.minusMillis(1);
        switch (store.hold(record.id(), record.stepIndex(), record.holdStartedAt())) {
            case ELAPSED:
                return wall.compareTo(hold) >= 0 ? wall : hold;
            case NOT_STARTED:
                if (store.isJudge()) {
                    Duration remaining = hold.minusMillis(record.heldMillis());
                    store.startHold(record.id(), record.stepIndex(), record.holdStartedAt(),
                            remaining.isNegative() ? Duration.ZERO : remaining);
                }
                return wall.compareTo(justShort) < 0 ? wall : justShort;
            case RUNNING:
            default:
                return wall.compareTo(justShort) < 0 ? wall : justShort;
        }
    }

    /** Under this: brings the published counts of {@code migrationId} up to the heartbeats as they are now. */
    private Map<String, Published> refresh(String migrationId) {
        Map<String, JsonNode> heartbeats = store.instances();
        Map<String, Published> latest = seen.computeIfAbsent(migrationId, k -> new HashMap<>());
        for (Iterator<Map.Entry<String, Published>> it = latest.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Published> e = it.next();
            JsonNode doc = heartbeats.get(e.getKey());
            RunCounts now = doc == null ? null : countsOf(e.getKey(), doc, migrationId);
            if (now == null || !now.run().equals(e.getValue().run()) || now.total() == null || now.total().below(e.getValue().total())) {
                // Gone, or counting from zero again: what it had published stays counted.
                archived.merge(migrationId, e.getValue().total(), GuardTotals::plus);
                it.remove();
            }
        }
        for (Map.Entry<String, JsonNode> e : heartbeats.entrySet()) {
            RunCounts now = countsOf(e.getKey(), e.getValue(), migrationId);
            if (now != null && now.total() != null) {
                latest.put(e.getKey(), new Published(now.run(), now.total()));
            }
        }
        return latest;
    }

    /** The counts another instance published for {@code migrationId}, or null (itself, or not serving it). */
    private RunCounts countsOf(String instance, JsonNode heartbeat, String migrationId) {
        if (self.equals(instance)) {
            return null;
        }
        JsonNode node = heartbeat.path("counts").path(migrationId);
        if (!node.isObject() || !node.path("run").isTextual()) {
            return null;
        }
        try {
            return Json.MAPPER.treeToValue(node, RunCounts.class);
        } catch (java.io.IOException | IllegalArgumentException e) {
            return null; // a heartbeat this version cannot read contributes nothing
        }
    }

    private static WindowCounts plus(WindowCounts a, WindowCounts b) {
        return new WindowCounts(a.oldOk() + b.oldOk(), a.oldErrors() + b.oldErrors(), a.newOk() + b.newOk(),
                a.newErrors() + b.newErrors());
    }
}

package io.crossfade.sidecar.fleet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.Percent;
import io.crossfade.sidecar.HostPort;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.MigrationRecord;
import io.crossfade.sidecar.rollout.PublishedState;
import io.crossfade.sidecar.rollout.StoreStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** The fleet store's metrics and this instance's heartbeat document. */
public final class FleetMetrics {

    private FleetMetrics() {
    }

    /**
     * Registers {@code crossfade_store_connected} (1 while etcd answers), {@code crossfade_store_revision}
     * (the last fleet revision seen) and {@code crossfade_store_watch_lag_seconds} (how long the last
     * change from another sidecar took to arrive here) and {@code crossfade_fleet_judge} (1 while this
     * sidecar is the fleet's judge).
     */
    public static void bind(MeterRegistry registry, EtcdMigrationStore store) {
        Gauge.builder("crossfade.store.connected", store,
                        s -> s.status().map(StoreStatus::connected).orElse(false) ? 1 : 0)
                .description("1 while the fleet store (etcd) answers, 0 while it cannot be reached")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("crossfade.store.resets", store, EtcdMigrationStore::resets)
                .description("times this sidecar found the fleet store had lost the fleet's state (empty, or"
                        + " rewound to an older backup) and saw it re-seeded from the newest state a sidecar held")
                .register(registry);
        Gauge.builder("crossfade.store.revision", store, EtcdMigrationStore::lastSeq)
                .description("the last fleet revision (audit sequence number) this sidecar has seen")
                .register(registry);
        Gauge.builder("crossfade.store.watch.lag", store, EtcdMigrationStore::watchLagSeconds)
                .description("seconds between the last change another sidecar committed and this one hearing it")
                .baseUnit("seconds")
                .register(registry);
        // For the "judge lost" alert: summed over a fleet's sidecars, 0 means nobody judges the pooled counts.
        Gauge.builder("crossfade.fleet.judge", store, s -> s.isJudge() ? 1 : 0)
                .description("1 while this sidecar is the fleet's judge (judges the pooled guard counts, takes ramp steps)")
                .register(registry);
    }

    /**
     * What this instance serves, for its heartbeat: {@code opsAddress}, {@code specVersion},
     * {@code migrations}, {@code outcomes} (its guard window counts by setting key, for people) and
     * {@code counts} (what its guard counted of each migration identity since it last started afresh,
     * for the fleet's pooled guard: see {@link FleetPool}).
     */
    public static ObjectNode heartbeat(PublishedState state, HostPort opsAddress,
            io.crossfade.sidecar.guard.Guard guardView) {
        ObjectNode doc = Json.MAPPER.createObjectNode();
        doc.put("opsAddress", opsAddress == null ? null : opsAddress.toString());
        if (state == null) {
            return doc;
        }
        doc.put("specVersion", state.source().version());
        ObjectNode migrations = doc.putObject("migrations");
        ObjectNode outcomes = doc.putObject("outcomes");
        for (ActiveMigration m : state.snapshot().migrations().values()) {
            MigrationRecord r = state.records().get(m.spec().key());
            ObjectNode node = migrations.putObject(m.spec().key());
            node.put("id", m.id());
            node.put("revision", r == null ? 0 : r.revision());
            node.put("percent", Percent.toDecimal(m.status().percent()));
            node.put("state", m.status().state().wireName());
            // This instance's guard window counts: {"old":{"ok","errors",…},"new":{…}}.
            guardView.describe(m.spec().key()).map(v -> v.guard().outcomes())
                    .ifPresent(o -> outcomes.set(m.spec().key(), Json.MAPPER.valueToTree(o)));
        }
        doc.set("counts", Json.MAPPER.valueToTree(guardView.published()));
        return doc;
    }
}

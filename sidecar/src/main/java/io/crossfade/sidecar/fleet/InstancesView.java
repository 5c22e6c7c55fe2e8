package io.crossfade.sidecar.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /admin/v1/instances}: the live sidecars of the fleet, from their heartbeats. An instance
 * whose lease expired (no heartbeat for 5 s) is gone from the list.
 *
 * @param instances one entry per live sidecar, by id
 */
public record InstancesView(List<Instance> instances) {

    /**
     * One sidecar as its last heartbeat described it.
     *
     * @param id its instance id
     * @param opsAddress its ops listener
     * @param lastSeen when it last wrote its heartbeat (its clock)
     * @param specVersion the content hash of the settings files it serves
     * @param migrations what it serves, by setting key: {@code {"id","revision","percent","state"}}
     * @param outcomes its guard window counts, by setting key
     */
    public record Instance(String id, String opsAddress, String lastSeen, String specVersion, JsonNode migrations,
            JsonNode outcomes) {
    }

    /** The view of heartbeats by instance id. */
    public static InstancesView of(Map<String, JsonNode> heartbeats) {
        List<Instance> list = new ArrayList<>();
        heartbeats.forEach((id, doc) -> list.add(new Instance(id, doc.path("opsAddress").asText(null),
                doc.path("lastSeen").asText(null), doc.path("specVersion").asText(null), doc.path("migrations"),
                doc.path("outcomes"))));
        return new InstancesView(list);
    }
}

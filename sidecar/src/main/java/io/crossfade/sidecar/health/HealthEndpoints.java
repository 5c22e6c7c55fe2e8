package io.crossfade.sidecar.health;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.Percent;
import io.crossfade.config.SettingsProblem;
import io.crossfade.sidecar.Json;
import io.crossfade.sidecar.http.Endpoints;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.rollout.PublishedState;
import io.crossfade.sidecar.rollout.RolloutController;
import io.crossfade.sidecar.rollout.SourceStatus;
import io.crossfade.sidecar.rollout.MigrationRecord;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code GET /health} (liveness: 200 while the process can answer) and {@code GET /ready} (200 once
 * a snapshot is served; the body names the source, its version, any reload error and each
 * migration's state). A reload error lists every problem as {@code {"file", "line", "key", "field",
 * "reason", "message"}} (null where unknown), so scripts need not parse the message. A rejected reload or a halted migration keeps {@code /ready} at 200: the
 * instance still serves correct values.
 */
public final class HealthEndpoints implements Endpoints {

    private final RolloutController controller;
    private final Function<String, Optional<ObjectNode>> migrationDetails;
    private final boolean showPaths;

    public HealthEndpoints(RolloutController controller) {
        this(controller, key -> Optional.empty());
    }

    public HealthEndpoints(RolloutController controller, Function<String, Optional<ObjectNode>> migrationDetails) {
        this(controller, migrationDetails, true);
    }

    /**
     * @param migrationDetails more fields for a migration's {@code /ready} entry, by setting key
     *     (e.g. the guard's view); called on the event loop, so it must be cheap and must not block
     */
    /**
     * @param showPaths false on the read listener: services and whatever else reaches it learn
     *     nothing about the file system (no settings directory, no paths in problems)
     */
    public HealthEndpoints(RolloutController controller, Function<String, Optional<ObjectNode>> migrationDetails,
            boolean showPaths) {
        this.controller = controller;
        this.migrationDetails = migrationDetails;
        this.showPaths = showPaths;
    }

    @Override
    public boolean handle(HttpServerRequest request) {
        String path = request.path();
        if (!path.equals("/health") && !path.equals("/ready")) {
            return false;
        }
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            HttpResponses.methodNotAllowed(request, "GET, HEAD");
            return true;
        }
        if (path.equals("/health")) {
            HttpResponses.json(request, 200, Json.MAPPER.createObjectNode().put("status", "ok"));
        } else {
            ready(request);
        }
        return true;
    }

    private void ready(HttpServerRequest request) {
        PublishedState state = controller.current();
        ObjectNode doc = Json.MAPPER.createObjectNode();
        if (state == null) {
            doc.put("status", "starting");
            HttpResponses.json(request, 503, doc);
            return;
        }
        SourceStatus source = state.source();
        doc.put("status", "ready");
        doc.put("version", state.snapshot().version());
        ObjectNode src = doc.putObject("source");
        src.put("type", source.type());
        if (showPaths) {
            src.put("location", source.location());
        }
        src.put("version", source.version());
        src.put("lastKnownGood", source.lastKnownGood());
        src.put("loadedAt", source.loadedAt() == null ? null : source.loadedAt().toString());
        if (source.lastError().isEmpty()) {
            src.putNull("reloadError");
        } else {
            ObjectNode err = src.putObject("reloadError");
            err.put("at", source.lastErrorAt() == null ? null : source.lastErrorAt().toString());
            ArrayNode problems = err.putArray("problems");
            for (SettingsProblem p : source.lastError()) {
                ObjectNode problem = problems.addObject();
                problem.put("file", p.file());
                if (p.line() > 0) {
                    problem.put("line", p.line());
                } else {
                    problem.putNull("line");
                }
                problem.put("key", p.key());
                problem.put("field", p.field());
                problem.put("reason", hidePaths(p.reason(), source.location()));
                problem.put("message", hidePaths(p.describe(), source.location()));
            }
        }
        doc.put("settings", state.snapshot().spec().settings().size());
        ObjectNode migrations = doc.putObject("migrations");
        for (ActiveMigration m : state.snapshot().migrations().values()) {
            ObjectNode node = migrations.putObject(m.spec().key());
            node.put("id", m.id());
            node.put("state", m.status().state().wireName());
            node.put("percent", Percent.toDecimal(m.status().effectivePercent()));
            MigrationRecord record = state.records().get(m.spec().key());
            if (record != null && record.reason() != null) {
                node.put("reason", record.reason());
            }
            migrationDetails.apply(m.spec().key()).ifPresent(node::setAll);
        }
        controller.storeStatus().ifPresent(store -> doc.set("store", Json.MAPPER.valueToTree(store)));
        HttpResponses.json(request, 200, doc);
    }

    /** {@code text} with the settings directory's path replaced, where paths must not be shown. */
    private String hidePaths(String text, String location) {
        if (showPaths || text == null || location == null || location.isEmpty()) {
            return text;
        }
        return text.replace(location, "the settings directory");
    }
}

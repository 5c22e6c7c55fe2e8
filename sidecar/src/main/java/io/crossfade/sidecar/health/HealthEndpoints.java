package io.crossfade.sidecar.health;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.config.ActiveMigration;
import io.crossfade.config.Percent;
import io.crossfade.config.SettingsProblem;
import io.crossfade.sidecar.Json;
import io.crossfade.sidecar.admin.StartingPercent;
import io.crossfade.sidecar.http.Endpoints;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.rollout.PublishedState;
import io.crossfade.sidecar.rollout.RolloutController;
import io.crossfade.sidecar.rollout.SourceStatus;
import io.crossfade.sidecar.state.MigrationRecord;
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

    public HealthEndpoints(RolloutController controller) {
        this(controller, key -> Optional.empty());
    }

    /**
     * @param migrationDetails more fields for a migration's {@code /ready} entry, by setting key
     *     (e.g. the guard's view); called on the event loop, so it must be cheap and must not block
     */
    public HealthEndpoints(RolloutController controller, Function<String, Optional<ObjectNode>> migrationDetails) {
        this.controller = controller;
        this.migrationDetails = migrationDetails;
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
        src.put("location", source.location());
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
                problem.put("reason", p.reason());
                problem.put("message", p.describe());
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
            String note = StartingPercent.note(m.spec(), m.status());
            if (note != null) {
                node.put("note", note);
            }
            migrationDetails.apply(m.spec().key()).ifPresent(node::setAll);
        }
        HttpResponses.json(request, 200, doc);
    }
}

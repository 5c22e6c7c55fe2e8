package io.crossfade.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code GET /v1/snapshot} document: everything a reader needs to evaluate every setting locally,
 * from one snapshot. The sidecar writes it and the client library reads it with this one class, so
 * the two cannot drift apart.
 *
 * <pre>{@code
 * {"version": 1795518438688,
 *  "instanceId": "checkout-7f9c",
 *  "settings": {"db.pool.size": 10, "payments.timeout_ms": 800},
 *  "migrations": {"db.pool.size": {"id": "05af51ed6bb37251", "from": 10, "to": 20,
 *                                  "salt": "db.pool.size", "percent": 5, "state": "running"}}}
 * }</pre>
 *
 * <p>{@code percent} is the <em>effective</em> percent (0 while rolled back, 100 once completed) as a
 * decimal with up to three decimals, so a reader needs only {@link Bucketing} and that number; the
 * state is informational. Owners, notes, guards and steps are the sidecar's business and are left out.
 *
 * <p>While a migration's cohorts are in effect ({@link ActiveMigration#cohortsInEffect}) it also has
 * {@code "exclude"} and {@code "include"}: lists of {@code {"cohort": name or null, "units": [...],
 * "prefixes": [...]}}, with {@code "operator": true} on the operator's list. A reader places a unit
 * listed or prefixed in any exclude entry on old, else in any include entry on new, else by the
 * percent (see {@link ActiveMigration#placementFor}).
 *
 * @param snapshot the snapshot; after {@link #read} its migrations carry the effective percent as their
 *     percent, and default guard, no steps and no notes
 * @param instanceId the sidecar's instance id: the unit of reads that name none
 */
public record SnapshotDocument(SettingsSnapshot snapshot, String instanceId) {

    public SnapshotDocument {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(instanceId, "instanceId");
    }

    /** Writes {@code snapshot} as the document. Pure; safe on any thread. Callers must not mutate the values inside. */
    public static ObjectNode write(SettingsSnapshot snapshot, String instanceId) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("version", snapshot.version());
        doc.put("instanceId", instanceId);
        ObjectNode settings = doc.putObject("settings");
        for (Setting s : snapshot.spec().settings().values()) {
            settings.set(s.key(), s.value());
        }
        ObjectNode migrations = doc.putObject("migrations");
        for (ActiveMigration m : snapshot.migrations().values()) {
            ObjectNode node = migrations.putObject(m.spec().key());
            node.put("id", m.id());
            node.set("from", m.spec().from());
            node.set("to", m.spec().to());
            node.put("salt", m.spec().salt());
            node.put("percent", Percent.toDecimal(m.status().effectivePercent()));
            node.put("state", m.status().state().wireName());
            if (m.cohortsInEffect()) {
                Targeting t = m.targeting();
                cohorts(node.putArray("exclude"), t.exclude(), t.operatorExclude());
                cohorts(node.putArray("include"), t.include(), t.operatorInclude());
            }
        }
        return doc;
    }

    private static void cohorts(com.fasterxml.jackson.databind.node.ArrayNode list, List<Cohort> cohorts,
            java.util.Set<String> operator) {
        for (Cohort c : cohorts) {
            ObjectNode entry = list.addObject();
            entry.put("cohort", c.name());
            c.units().forEach(entry.putArray("units")::add);
            c.prefixes().forEach(entry.putArray("prefixes")::add);
        }
        if (!operator.isEmpty()) {
            ObjectNode entry = list.addObject();
            entry.putNull("cohort");
            entry.put("operator", true);
            operator.forEach(entry.putArray("units")::add);
            entry.putArray("prefixes");
        }
    }

    /** This document as JSON; see {@link #write}. */
    public ObjectNode toJson() {
        return write(snapshot, instanceId);
    }

    /**
     * Reads a document written by {@link #write}. Unknown fields are ignored, so a newer sidecar can add
     * some.
     *
     * @throws IllegalArgumentException naming the field that is missing or malformed
     */
    public static SnapshotDocument read(JsonNode doc) {
        if (doc == null || !doc.isObject()) {
            throw new IllegalArgumentException("snapshot document: expected a JSON object");
        }
        JsonNode version = doc.get("version");
        if (version == null || !version.isIntegralNumber() || !version.canConvertToLong()) {
            throw new IllegalArgumentException("snapshot document: 'version' must be an integer");
        }
        String instanceId = text(doc, "instanceId", "instanceId");
        Map<String, Setting> settings = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object(doc, "settings", "settings").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            key(e.getKey(), "settings");
            if (e.getValue().isNull()) {
                throw new IllegalArgumentException("snapshot document: settings." + e.getKey() + " is null");
            }
            settings.put(e.getKey(), new Setting(e.getKey(), e.getValue(), null, null, null));
        }
        Map<String, MigrationSpec> specs = new HashMap<>();
        Map<String, ActiveMigration> migrations = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object(doc, "migrations", "migrations").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            String where = "migrations." + key;
            key(key, "migrations");
            if (!settings.containsKey(key)) {
                throw new IllegalArgumentException("snapshot document: " + where + " migrates a setting that is not in 'settings'");
            }
            JsonNode node = e.getValue();
            if (!node.isObject()) {
                throw new IllegalArgumentException("snapshot document: " + where + " must be an object");
            }
            int percent = percent(node.get("percent"), where + ".percent");
            MigrationState state = MigrationState.fromWireName(text(node, "state", where + ".state"));
            if (state == null) {
                throw new IllegalArgumentException("snapshot document: " + where + ".state is not a migration state");
            }
            java.util.Set<String> operatorExclude = new java.util.TreeSet<>();
            java.util.Set<String> operatorInclude = new java.util.TreeSet<>();
            List<Cohort> exclude = readCohorts(node.get("exclude"), where + ".exclude", operatorExclude);
            List<Cohort> include = readCohorts(node.get("include"), where + ".include", operatorInclude);
            MigrationSpec spec = new MigrationSpec(key, value(node, "from", where), value(node, "to", where),
                    text(node, "salt", where + ".salt"), percent, null, null, null, GuardSpec.DEFAULT, List.of(), null,
                    Targeting.of(include, exclude));
            specs.put(key, spec);
            migrations.put(key, new ActiveMigration(text(node, "id", where + ".id"), spec,
                    new MigrationStatus(percent, state), spec.targeting().withOperator(operatorInclude, operatorExclude)));
        }
        SettingsSnapshot snapshot = new SettingsSnapshot(version.longValue(), new SettingsSpec(settings, specs), migrations);
        return new SnapshotDocument(snapshot, instanceId);
    }

    private static List<Cohort> readCohorts(JsonNode list, String where, java.util.Set<String> operator) {
        List<Cohort> out = new java.util.ArrayList<>();
        if (list == null || list.isNull()) {
            return out;
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException("snapshot document: " + where + " must be an array");
        }
        for (int i = 0; i < list.size(); i++) {
            JsonNode entry = list.get(i);
            String at = where + "[" + i + "]";
            if (!entry.isObject()) {
                throw new IllegalArgumentException("snapshot document: " + at + " must be an object");
            }
            JsonNode name = entry.get("cohort");
            if (name != null && !name.isNull() && !name.isTextual()) {
                throw new IllegalArgumentException("snapshot document: " + at + ".cohort must be a string or null");
            }
            List<String> units = strings(entry.get("units"), at + ".units");
            List<String> prefixes = strings(entry.get("prefixes"), at + ".prefixes");
            if (entry.path("operator").asBoolean(false)) {
                operator.addAll(units);
            } else {
                out.add(new Cohort(name == null || name.isNull() ? null : name.textValue(), units, prefixes, null));
            }
        }
        return out;
    }

    private static List<String> strings(JsonNode list, String where) {
        List<String> out = new java.util.ArrayList<>();
        if (list == null || list.isNull()) {
            return out;
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException("snapshot document: " + where + " must be an array of strings");
        }
        for (JsonNode item : list) {
            if (!item.isTextual() || item.textValue().isEmpty()) {
                throw new IllegalArgumentException("snapshot document: " + where + " must hold non-empty strings");
            }
            out.add(item.textValue());
        }
        return out;
    }

    private static JsonNode object(JsonNode parent, String field, String where) {
        JsonNode node = parent.get(field);
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("snapshot document: '" + where + "' must be an object");
        }
        return node;
    }

    private static String text(JsonNode parent, String field, String where) {
        JsonNode node = parent.get(field);
        if (node == null || !node.isTextual()) {
            throw new IllegalArgumentException("snapshot document: '" + where + "' must be a string");
        }
        return node.textValue();
    }

    private static JsonNode value(JsonNode parent, String field, String where) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            throw new IllegalArgumentException("snapshot document: " + where + "." + field + " is missing");
        }
        return node;
    }

    private static void key(String key, String where) {
        if (!SettingKey.isValid(key)) {
            throw new IllegalArgumentException("snapshot document: " + where + " has an invalid key '" + key + "'");
        }
    }

    private static int percent(JsonNode node, String where) {
        if (node == null || !node.isNumber()) {
            throw new IllegalArgumentException("snapshot document: " + where + " must be a number");
        }
        BigDecimal decimal = node.isBigDecimal() || node.isIntegralNumber() ? node.decimalValue()
                : new BigDecimal(node.asText());
        try {
            return Percent.fromDecimal(decimal);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("snapshot document: " + where + ": " + e.getMessage(), e);
        }
    }
}

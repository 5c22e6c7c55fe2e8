package io.crossfade.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Parses and validates one settings file (YAML or JSON). Every problem found is collected with
 * file, line where known, key and field, so a user can fix the whole file in one go.
 * Thread-safe: instances hold only immutable, thread-safe Jackson mappers.
 */
public final class SettingsFileParser {

    /** Files larger than this are refused whole. */
    public static final long MAX_FILE_BYTES = 4L * 1024 * 1024;

    private static final Set<String> TOP_FIELDS = Set.of("settings", "migrations");
    private static final Set<String> SETTING_FIELDS = Set.of("value", "owner", "description");
    private static final Set<String> MIGRATION_FIELDS =
            Set.of("from", "to", "percent", "salt", "owner", "expected", "rollback", "guard", "steps");
    private static final Set<String> GUARD_FIELDS =
            Set.of("maxErrorRate", "maxRatio", "minSamples", "window", "confidence", "action");
    private static final Set<String> STEP_FIELDS = Set.of("percent", "hold");

    private final ObjectMapper yaml = configure(new ObjectMapper(newYamlFactory()));
    private final ObjectMapper json = configure(new ObjectMapper());

    private static YAMLFactory newYamlFactory() {
        // SnakeYAML refuses documents over 3 MiB of code points by default; files up to
        // MAX_FILE_BYTES must parse, and UTF-8 never has more code points than bytes.
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit((int) MAX_FILE_BYTES);
        // rebuild() keeps the factory's default features (YAMLFactory.builder() would drop some,
        // e.g. EMPTY_STRING_AS_NULL, so that 'value:' read as "" instead of null).
        return new YAMLFactory().rebuild().loaderOptions(options).build();
    }

    private static ObjectMapper configure(ObjectMapper mapper) {
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        // Keep decimals exact: 0.1 stays 0.1 when served back, and percents can be checked for 3 decimals.
        mapper.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        // ... and as written: Jackson would strip trailing zeros, so 1.0 was served as 1 (an int to
        // a Python client) and 100.0 as 1E+2.
        mapper.configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);
        return mapper;
    }

    /** A migration as one file declares it; {@code from} may still be missing until all files are read. */
    record DeclaredMigration(
            String key, JsonNode from, JsonNode to, String salt, int initialPercent, String owner, String expected,
            String rollback, GuardSpec guard, List<Step> steps, String file, int line) {
    }

    /** What one file declares. */
    record ParsedFile(String file, Map<String, Setting> settings, Map<String, Integer> settingLines,
            Map<String, DeclaredMigration> migrations) {
    }

    /** Whether {@code fileName} is a settings file by its extension. */
    public static boolean isSettingsFile(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        return !fileName.startsWith(".")
                && (lower.endsWith(".yaml") || lower.endsWith(".yml") || lower.endsWith(".json"));
    }

    /**
     * Parses one file's content.
     *
     * @param fileName the name used in messages; its extension picks YAML or JSON
     * @throws SettingsException listing every problem found in the file
     */
    ParsedFile parse(String fileName, byte[] content) throws SettingsException {
        if (content.length > MAX_FILE_BYTES) {
            throw new SettingsException(new SettingsProblem(fileName, 0, null, null,
                    "file is " + content.length + " bytes, over the 4 MiB limit"));
        }
        ObjectMapper mapper = fileName.toLowerCase(Locale.ROOT).endsWith(".json") ? json : yaml;
        String format = mapper == json ? "JSON" : "YAML";
        JsonNode root;
        try (JsonParser p = mapper.createParser(content)) {
            root = mapper.readTree(p);
            // readTree stops after the first value: a second YAML document, a second JSON value or
            // stray text after it would otherwise be dropped without a word. Empty YAML documents
            // (a trailing '---') declare nothing and are fine.
            JsonToken extra = p.nextToken();
            while (extra == JsonToken.VALUE_NULL && mapper == yaml) {
                extra = p.nextToken();
            }
            if (extra != null) {
                throw new SettingsException(new SettingsProblem(fileName, Math.max(p.currentTokenLocation().getLineNr(), 0),
                        null, null, "not valid " + format + ": found more content after the end of the first "
                        + (mapper == json ? "value" : "document") + "; a settings file holds exactly one"));
            }
        } catch (JsonProcessingException e) {
            YamlSyntaxError yamlError = mapper == yaml ? YamlSyntaxError.of(e, new String(content, java.nio.charset.StandardCharsets.UTF_8)) : null;
            if (yamlError != null) {
                throw new SettingsException(new SettingsProblem(fileName, yamlError.line(), null, null, yamlError.reason()));
            }
            int line = syntaxErrorLine(e);
            throw new SettingsException(new SettingsProblem(fileName, Math.max(line, 0), null, null,
                    "not valid " + format + ": " + e.getOriginalMessage()));
        } catch (IOException e) {
            throw new SettingsException(new SettingsProblem(fileName, 0, null, null, "cannot be read: " + e.getMessage()));
        }
        Context ctx = new Context(fileName, SourceLocations.scan(mapper.getFactory(), content));
        Map<String, Setting> settings = new LinkedHashMap<>();
        Map<String, Integer> settingLines = new LinkedHashMap<>();
        Map<String, DeclaredMigration> migrations = new LinkedHashMap<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new ParsedFile(fileName, settings, settingLines, migrations);
        }
        if (!root.isObject()) {
            ctx.problem(0, null, null, "the top level must be a mapping with 'settings' and/or 'migrations', found "
                    + describe(root));
            ctx.throwIfAny();
        }
        unknownFields(ctx, root, TOP_FIELDS, null, null, new String[0]);
        JsonNode settingsNode = root.get("settings");
        if (settingsNode != null && !settingsNode.isNull()) {
            if (!settingsNode.isObject()) {
                ctx.problem(ctx.loc.lineOf("settings"), null, "settings", "must be a mapping of key to setting, found "
                        + describe(settingsNode));
            } else {
                for (Iterator<Map.Entry<String, JsonNode>> it = settingsNode.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    Setting s = parseSetting(ctx, e.getKey(), e.getValue());
                    if (s != null) {
                        settings.put(s.key(), s);
                        settingLines.put(s.key(), ctx.loc.lineOf("settings", s.key()));
                    }
                }
            }
        }
        JsonNode migrationsNode = root.get("migrations");
        if (migrationsNode != null && !migrationsNode.isNull()) {
            if (!migrationsNode.isObject()) {
                ctx.problem(ctx.loc.lineOf("migrations"), null, "migrations",
                        "must be a mapping of setting key to migration, found " + describe(migrationsNode));
            } else {
                for (Iterator<Map.Entry<String, JsonNode>> it = migrationsNode.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    DeclaredMigration m = parseMigration(ctx, e.getKey(), e.getValue());
                    if (m != null) {
                        migrations.put(m.key(), m);
                    }
                }
            }
        }
        ctx.throwIfAny();
        return new ParsedFile(fileName, settings, settingLines, migrations);
    }

    /**
     * The line of a syntax error. For YAML, Jackson's location is that of the last token it read,
     * which can be lines before the fault (a tab after blank lines, say); SnakeYAML's problem mark
     * is where the fault is.
     */
    private static int syntaxErrorLine(JsonProcessingException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
                return marked.getProblemMark().getLine() + 1;
            }
        }
        return e.getLocation() == null ? 0 : e.getLocation().getLineNr();
    }

    private Setting parseSetting(Context ctx, String key, JsonNode node) {
        String[] at = {"settings", key};
        int problemsBefore = ctx.problems.size();
        if (!SettingKey.isValid(key)) {
            ctx.problem(ctx.loc.lineOf(at), key, null, "invalid key: " + SettingKey.rule());
        }
        if (node == null || !node.isObject()) {
            ctx.problem(ctx.loc.lineOf(at), key, null,
                    "must be a mapping with at least 'value', found " + describe(node));
            return null;
        }
        unknownFields(ctx, node, SETTING_FIELDS, key, null, at);
        JsonNode value = node.get("value");
        if (value == null) {
            ctx.problem(ctx.loc.lineOf(at), key, "value", "is required");
        } else if (value.isNull()) {
            ctx.problem(ctx.loc.lineOf(at[0], at[1], "value"), key, "value",
                    "must be a number, string, boolean, object or array, not null");
        }
        String owner = text(ctx, node, "owner", key, at);
        String description = text(ctx, node, "description", key, at);
        if (ctx.problems.size() > problemsBefore) {
            return null;
        }
        return new Setting(key, value, owner, description, ctx.file);
    }

    private DeclaredMigration parseMigration(Context ctx, String key, JsonNode node) {
        String[] at = {"migrations", key};
        int problemsBefore = ctx.problems.size();
        if (!SettingKey.isValid(key)) {
            ctx.problem(ctx.loc.lineOf(at), key, null, "invalid key: " + SettingKey.rule());
        }
        if (node == null || !node.isObject()) {
            ctx.problem(ctx.loc.lineOf(at), key, null, "must be a mapping with at least 'to', found " + describe(node));
            return null;
        }
        unknownFields(ctx, node, MIGRATION_FIELDS, key, null, at);
        JsonNode to = node.get("to");
        if (to == null) {
            ctx.problem(ctx.loc.lineOf(at), key, "to", "is required (the new value)");
        } else if (to.isNull()) {
            ctx.problem(ctx.loc.lineOf(at[0], at[1], "to"), key, "to", "must not be null");
        }
        JsonNode from = node.get("from");
        if (from != null && from.isNull()) {
            ctx.problem(ctx.loc.lineOf(at[0], at[1], "from"), key, "from", "must not be null; leave it out to use the setting's value");
        }
        int percent = 0;
        JsonNode percentNode = node.get("percent");
        if (percentNode != null) {
            Integer p = percent(ctx, percentNode, key, "percent", ctx.loc.lineOf(at[0], at[1], "percent"));
            percent = p == null ? 0 : p;
        }
        String salt = text(ctx, node, "salt", key, at);
        if (salt != null && salt.isEmpty()) {
            ctx.problem(ctx.loc.lineOf(at[0], at[1], "salt"), key, "salt", "must not be empty; leave it out to use the key");
        }
        String owner = text(ctx, node, "owner", key, at);
        String expected = text(ctx, node, "expected", key, at);
        String rollback = text(ctx, node, "rollback", key, at);
        GuardSpec guard = parseGuard(ctx, node.get("guard"), key);
        List<Step> steps = parseSteps(ctx, node.get("steps"), key);
        if (ctx.problems.size() > problemsBefore) {
            return null;
        }
        return new DeclaredMigration(key, from, to, salt == null ? key : salt, percent, owner, expected, rollback,
                guard, steps, ctx.file, ctx.loc.lineOf(at));
    }

    private GuardSpec parseGuard(Context ctx, JsonNode node, String key) {
        if (node == null || node.isNull()) {
            return GuardSpec.DEFAULT;
        }
        String[] at = {"migrations", key, "guard"};
        if (!node.isObject()) {
            ctx.problem(ctx.loc.lineOf(at), key, "guard", "must be a mapping, found " + describe(node));
            return GuardSpec.DEFAULT;
        }
        unknownFields(ctx, node, GUARD_FIELDS, key, "guard.", at);
        GuardSpec d = GuardSpec.DEFAULT;
        int before = ctx.problems.size();
        double maxErrorRate = number(ctx, node, "maxErrorRate", key, at, d.maxErrorRate());
        double maxRatio = number(ctx, node, "maxRatio", key, at, d.maxRatio());
        double minSamplesD = number(ctx, node, "minSamples", key, at, d.minSamples());
        double confidence = number(ctx, node, "confidence", key, at, d.confidence());
        Duration window = d.window();
        JsonNode w = node.get("window");
        if (w != null) {
            window = duration(ctx, w, key, "guard.window", ctx.loc.lineOf(at[0], at[1], at[2], "window"), d.window());
        }
        GuardAction action = d.action();
        JsonNode a = node.get("action");
        if (a != null) {
            String s = a.isTextual() ? a.asText().toLowerCase(Locale.ROOT) : "";
            if (s.equals("halt")) {
                action = GuardAction.HALT;
            } else if (s.equals("rollback")) {
                action = GuardAction.ROLLBACK;
            } else {
                ctx.problem(ctx.loc.lineOf(at[0], at[1], at[2], "action"), key, "guard.action",
                        "must be 'halt' or 'rollback', found " + describe(a));
            }
        }
        if (minSamplesD != Math.rint(minSamplesD)) {
            ctx.problem(ctx.loc.lineOf(at[0], at[1], at[2], "minSamples"), key, "guard.minSamples",
                    "must be a whole number, found " + minSamplesD);
        }
        if (ctx.problems.size() > before) {
            return d;
        }
        int minSamples = (int) Math.min(Integer.MAX_VALUE, minSamplesD);
        // GuardSpec's constructor stops at the first bad value and cannot say which field it was, so
        // check each value on its own (the others at their valid defaults): every bad field is then
        // reported, at its own line and as guard.<field>.
        Duration w0 = window;
        guardField(ctx, key, at, "maxErrorRate",
                () -> new GuardSpec(maxErrorRate, d.maxRatio(), d.minSamples(), d.window(), d.confidence(), d.action()));
        guardField(ctx, key, at, "maxRatio",
                () -> new GuardSpec(d.maxErrorRate(), maxRatio, d.minSamples(), d.window(), d.confidence(), d.action()));
        guardField(ctx, key, at, "minSamples",
                () -> new GuardSpec(d.maxErrorRate(), d.maxRatio(), minSamples, d.window(), d.confidence(), d.action()));
        guardField(ctx, key, at, "window",
                () -> new GuardSpec(d.maxErrorRate(), d.maxRatio(), d.minSamples(), w0, d.confidence(), d.action()));
        guardField(ctx, key, at, "confidence",
                () -> new GuardSpec(d.maxErrorRate(), d.maxRatio(), d.minSamples(), d.window(), confidence, d.action()));
        if (ctx.problems.size() > before) {
            return d;
        }
        try {
            return new GuardSpec(maxErrorRate, maxRatio, minSamples, window, confidence, action);
        } catch (IllegalArgumentException e) {
            ctx.problem(ctx.loc.lineOf(at), key, "guard", e.getMessage());
            return d;
        }
    }

    private static void guardField(Context ctx, String key, String[] at, String name, Runnable check) {
        try {
            check.run();
        } catch (IllegalArgumentException e) {
            ctx.problem(ctx.loc.lineOf(append(at, name)), key, "guard." + name, e.getMessage());
        }
    }

    private List<Step> parseSteps(Context ctx, JsonNode node, String key) {
        List<Step> steps = new ArrayList<>();
        if (node == null || node.isNull()) {
            return steps;
        }
        String[] at = {"migrations", key, "steps"};
        if (!node.isArray()) {
            ctx.problem(ctx.loc.lineOf(at), key, "steps", "must be a list of {percent, hold}, found " + describe(node));
            return steps;
        }
        int previous = -1;
        for (int i = 0; i < node.size(); i++) {
            JsonNode step = node.get(i);
            String field = "steps[" + i + "]";
            String[] stepAt = {"migrations", key, "steps", "[" + i + "]"};
            int line = ctx.loc.lineOf(stepAt);
            if (!step.isObject()) {
                ctx.problem(line, key, field, "must be a mapping {percent, hold}, found " + describe(step));
                continue;
            }
            unknownFields(ctx, step, STEP_FIELDS, key, field + ".", stepAt);
            // A block-style step spans lines: point at the field itself (the step's line when absent).
            int percentLine = ctx.loc.lineOf(append(stepAt, "percent"));
            int holdLine = ctx.loc.lineOf(append(stepAt, "hold"));
            JsonNode p = step.get("percent");
            Integer percent = null;
            if (p == null) {
                ctx.problem(line, key, field + ".percent", "is required");
            } else {
                percent = percent(ctx, p, key, field + ".percent", percentLine);
            }
            Duration hold = null;
            JsonNode h = step.get("hold");
            boolean last = i == node.size() - 1;
            if (h == null) {
                if (!last) {
                    ctx.problem(line, key, field + ".hold", "is required on every step but the last");
                }
            } else {
                hold = duration(ctx, h, key, field + ".hold", holdLine, null);
                if (hold != null && (hold.isZero() || hold.isNegative())) {
                    ctx.problem(holdLine, key, field + ".hold", "must be longer than zero");
                }
            }
            if (percent != null) {
                if (percent <= previous) {
                    ctx.problem(percentLine, key, field + ".percent", "steps must raise the percent; "
                            + Percent.format(percent) + " does not exceed the step before (" + Percent.format(previous) + ")");
                }
                previous = percent;
                steps.add(new Step(percent, hold));
            }
        }
        return steps;
    }

    private static Integer percent(Context ctx, JsonNode node, String key, String field, int line) {
        if (!node.isNumber()) {
            ctx.problem(line, key, field, "must be a number between 0 and 100, found " + describe(node));
            return null;
        }
        try {
            return Percent.fromDecimal(node.decimalValue());
        } catch (IllegalArgumentException e) {
            ctx.problem(line, key, field, e.getMessage());
            return null;
        }
    }

    private static Duration duration(Context ctx, JsonNode node, String key, String field, int line, Duration fallback) {
        if (!node.isTextual()) {
            ctx.problem(line, key, field, "must be a duration such as 60s or 5m, found " + describe(node));
            return fallback;
        }
        try {
            return Durations.parse(node.asText());
        } catch (IllegalArgumentException e) {
            ctx.problem(line, key, field, e.getMessage());
            return fallback;
        }
    }

    private static double number(Context ctx, JsonNode parent, String name, String key, String[] at, double fallback) {
        JsonNode node = parent.get(name);
        if (node == null) {
            return fallback;
        }
        if (!node.isNumber()) {
            ctx.problem(ctx.loc.lineOf(append(at, name)), key, "guard." + name, "must be a number, found " + describe(node));
            return fallback;
        }
        BigDecimal value = node.decimalValue();
        return value.doubleValue();
    }

    private static String text(Context ctx, JsonNode parent, String name, String key, String[] at) {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            ctx.problem(ctx.loc.lineOf(append(at, name)), key, name, "must be text, found " + describe(node));
            return null;
        }
        return node.asText();
    }

    private static void unknownFields(Context ctx, JsonNode node, Set<String> allowed, String key, String prefix, String[] at) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                String field = (prefix == null ? "" : prefix) + name;
                ctx.problem(ctx.loc.lineOf(append(at, name)), key, key == null ? name : field,
                        "unknown field '" + name + "'; expected one of " + new java.util.TreeSet<>(allowed));
            }
        }
    }

    private static String[] append(String[] path, String last) {
        String[] out = java.util.Arrays.copyOf(path, path.length + 1);
        out[path.length] = last;
        return out;
    }

    static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        if (node.isNull()) {
            return "null";
        }
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isTextual()) {
            return "text '" + abbreviate(node.asText()) + "'";
        }
        if (node.isBoolean()) {
            return "boolean " + node.asText();
        }
        return node.isNumber() ? "number " + node.asText() : node.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    private static final class Context {
        final String file;
        final SourceLocations loc;
        final List<SettingsProblem> problems = new ArrayList<>();

        Context(String file, SourceLocations loc) {
            this.file = file;
            this.loc = loc;
        }

        void problem(int line, String key, String field, String reason) {
            problems.add(new SettingsProblem(file, line, key, field, reason));
        }

        void throwIfAny() throws SettingsException {
            if (!problems.isEmpty()) {
                throw new SettingsException(problems);
            }
        }
    }

    /** Exposed for callers that need the factory to scan, e.g. tests. */
    JsonFactory yamlFactory() {
        return yaml.getFactory();
    }
}

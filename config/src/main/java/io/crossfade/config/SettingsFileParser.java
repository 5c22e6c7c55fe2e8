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

    private static final Set<String> TOP_FIELDS = Set.of("settings", "migrations", "cohorts");
    private static final Set<String> SETTING_FIELDS = Set.of("value", "owner", "description");
    private static final Set<String> MIGRATION_FIELDS =
            Set.of("from", "to", "percent", "salt", "owner", "expected", "rollback", "guard", "steps", "include",
                    "exclude");

    /** Why a file that declares nothing is refused: it is what a truncated or half-copied file looks like. */
    static final String DECLARES_NOTHING = "declares no settings and no migrations (empty, only comments, or"
            + " empty sections); a truncated file must not remove settings, so this is refused. Delete the file"
            + " to remove what it declared";

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
            String rollback, GuardSpec guard, List<Step> steps, String file, int line,
            List<CohortReader.Entry> include, List<CohortReader.Entry> exclude) {
    }

    /** What one file declares. */
    record ParsedFile(String file, Map<String, Setting> settings, Map<String, Integer> settingLines,
            Map<String, DeclaredMigration> migrations, Map<String, CohortReader.DeclaredCohort> cohorts) {
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
        if (mapper == yaml) {
            refuseAnchorsAndAliases(fileName, content);
        }
        JsonNode root;
        // One pass builds the tree and records each field's line (for the messages of validation).
        SourceLocations.Recording p;
        try (JsonParser parser = mapper.createParser(content)) {
            p = new SourceLocations.Recording(parser);
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
        Context ctx = new Context(fileName, p.locations());
        Map<String, Setting> settings = new LinkedHashMap<>();
        Map<String, Integer> settingLines = new LinkedHashMap<>();
        Map<String, DeclaredMigration> migrations = new LinkedHashMap<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new SettingsException(new SettingsProblem(fileName, 0, null, null, DECLARES_NOTHING));
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
        Map<String, CohortReader.DeclaredCohort> cohorts = CohortReader.readCohorts(ctx, root.get("cohorts"));
        ctx.throwIfAny();
        if (settings.isEmpty() && migrations.isEmpty() && cohorts.isEmpty()) {
            throw new SettingsException(new SettingsProblem(fileName, 0, null, null, DECLARES_NOTHING));
        }
        return new ParsedFile(fileName, settings, settingLines, migrations, cohorts);
    }

    /**
     * The cohort files a settings file names ({@code cohorts.*.file}), read leniently: a file that
     * does not parse names none, and {@link #parse} reports why.
     */
    java.util.Set<String> cohortFileNames(String fileName, byte[] content) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        if (content.length > MAX_FILE_BYTES) {
            return names;
        }
        try {
            ObjectMapper mapper = fileName.toLowerCase(Locale.ROOT).endsWith(".json") ? json : yaml;
            JsonNode cohorts = mapper.readTree(content).path("cohorts");
            for (JsonNode c : cohorts) {
                JsonNode f = c.path("file");
                if (f.isTextual() && CohortReader.fileNameProblem(f.asText()) == null) {
                    names.add(f.asText());
                }
            }
        } catch (IOException | RuntimeException e) {
            // parse() reports it
        }
        return names;
    }

    /**
     * Refuses YAML anchors ({@code &name}) and aliases ({@code *name}, also in {@code <<: *name}).
     * Jackson hands an alias over as the anchor's name in a string, so {@code value: *v} would be
     * served as {@code "v"}; resolving aliases instead would need a bound against "billion laughs"
     * expansion. Settings files are short and written by people: spelling a value out is the
     * simpler, safer rule.
     */
    private static void refuseAnchorsAndAliases(String fileName, byte[] content) throws SettingsException {
        // An anchor starts with '&', an alias with '*'; a file with neither byte has none, and then
        // the event pass (as long as the tree parse itself) is not needed. No byte of a multi-byte
        // UTF-8 character is below 0x80, so the bytes can be looked at directly.
        if (!contains(content, (byte) '&') && !contains(content, (byte) '*')) {
            return;
        }
        List<SettingsProblem> problems = new ArrayList<>();
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit((int) MAX_FILE_BYTES);
        try {
            org.yaml.snakeyaml.parser.Parser events = new org.yaml.snakeyaml.parser.ParserImpl(
                    new org.yaml.snakeyaml.reader.StreamReader(new org.yaml.snakeyaml.reader.UnicodeReader(
                            new java.io.ByteArrayInputStream(content))), options);
            while (problems.size() < 20) {
                org.yaml.snakeyaml.events.Event event = events.getEvent();
                if (event == null || event instanceof org.yaml.snakeyaml.events.StreamEndEvent) {
                    break;
                }
                int line = event.getStartMark() == null ? 0 : event.getStartMark().getLine() + 1;
                if (event instanceof org.yaml.snakeyaml.events.AliasEvent alias) {
                    problems.add(new SettingsProblem(fileName, line, null, null, "YAML alias '*" + alias.getAnchor()
                            + "' is not supported: write the value out in full (anchors and aliases are refused so"
                            + " that an alias is never served as its name)"));
                } else if (event instanceof org.yaml.snakeyaml.events.NodeEvent node && node.getAnchor() != null) {
                    problems.add(new SettingsProblem(fileName, line, null, null, "YAML anchor '&" + node.getAnchor()
                            + "' is not supported: anchors and aliases are refused; write each value out in full"));
                }
            }
        } catch (RuntimeException e) {
            // A syntax error: the full parse reports it with its line.
        }
        if (!problems.isEmpty()) {
            throw new SettingsException(problems);
        }
    }
    private static boolean contains(byte[] content, byte b) {
        for (byte c : content) {
            if (c == b) {
                return true;
            }
        }
        return false;
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
        } else {
            numbersInRange(ctx, value, key, "value", ctx.loc.lineOf(at[0], at[1], "value"));
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
        } else {
            numbersInRange(ctx, to, key, "to", ctx.loc.lineOf(at[0], at[1], "to"));
        }
        JsonNode from = node.get("from");
        if (from != null && from.isNull()) {
            ctx.problem(ctx.loc.lineOf(at[0], at[1], "from"), key, "from", "must not be null; leave it out to use the setting's value");
        } else if (from != null) {
            numbersInRange(ctx, from, key, "from", ctx.loc.lineOf(at[0], at[1], "from"));
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
        GuardSpec guard = GuardReader.read(ctx, node.get("guard"), key);
        List<Step> steps = StepsReader.read(ctx, node.get("steps"), key);
        List<CohortReader.Entry> include = CohortReader.readList(ctx, node.get("include"), key, "include");
        List<CohortReader.Entry> exclude = CohortReader.readList(ctx, node.get("exclude"), key, "exclude");
        if (ctx.problems.size() > problemsBefore) {
            return null;
        }
        return new DeclaredMigration(key, from, to, salt == null ? key : salt, percent, owner, expected, rollback,
                guard, steps, ctx.file, ctx.loc.lineOf(at), include, exclude);
    }

    /**
     * Refuses numbers that most clients cannot hold: decimals beyond a double's range ({@code 1e400}
     * would be served as {@code 1E+400}, infinity in JavaScript and Python), decimals a double
     * rounds to zero, and integers beyond a double's range. Large integers within it are kept exactly
     * (a 20-digit id is fine). Looks inside objects and arrays; reports the first.
     */
    private static void numbersInRange(Context ctx, JsonNode node, String key, String field, int line) {
        String bad = firstOutOfRange(node);
        if (bad != null) {
            ctx.problem(line, key, field, "holds the number " + bad + ", which is not a finite number in the range"
                    + " of a 64-bit float and would overflow most clients");
        }
    }

    private static String firstOutOfRange(JsonNode node) {
        if (node.isContainerNode()) {
            for (JsonNode child : node) {
                String bad = firstOutOfRange(child);
                if (bad != null) {
                    return bad;
                }
            }
            return null;
        }
        if (!node.isNumber()) {
            return null;
        }
        if (node.isIntegralNumber()) {
            return Double.isFinite(node.bigIntegerValue().doubleValue()) ? null : InputText.abbreviate(node.asText(), 60);
        }
        if (node.isDouble() || node.isFloat()) {
            double d = node.doubleValue();
            return Double.isFinite(d) ? null : String.valueOf(d);
        }
        BigDecimal d = node.decimalValue();
        double asDouble = d.doubleValue();
        // A non-zero decimal that a double rounds to zero (1e-400) is as wrong as one it rounds to infinity.
        boolean underflows = asDouble == 0 && d.signum() != 0;
        return Double.isFinite(asDouble) && !underflows ? null : InputText.abbreviate(d.toString(), 60);
    }

    static Integer percent(Context ctx, JsonNode node, String key, String field, int line) {
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

    static Duration duration(Context ctx, JsonNode node, String key, String field, int line, Duration fallback) {
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

    static double number(Context ctx, JsonNode parent, String name, String key, String[] at, double fallback) {
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
        String unfit = InputText.unfitCharacter(node.asText(), true);
        if (unfit != null) {
            // Operator text is shown in the console, the audit and ctl: a bidirectional control
            // could show it reversed ("Trojan Source")
            ctx.problem(ctx.loc.lineOf(append(at, name)), key, name, "contains " + unfit
                    + "; write it as visible text");
            return null;
        }
        return node.asText();
    }

    static void unknownFields(Context ctx, JsonNode node, Set<String> allowed, String key, String prefix, String[] at) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                String field = (prefix == null ? "" : prefix) + name;
                ctx.problem(ctx.loc.lineOf(append(at, name)), key, key == null ? name : field,
                        "unknown field '" + name + "'; expected one of " + new java.util.TreeSet<>(allowed));
            }
        }
    }

    static String[] append(String[] path, String last) {
        String[] out = java.util.Arrays.copyOf(path, path.length + 1);
        out[path.length] = last;
        return out;
    }

    static String describe(JsonNode node) {
        return InputText.describe(node, InputText.Style.YAML);
    }

    /** What one file's readers share: its name, its source lines and the problems found so far. */
    static final class Context {
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

package io.crossfade.config;

import static io.crossfade.config.SettingsFileParser.describe;
import static io.crossfade.config.SettingsFileParser.unknownFields;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.SettingsFileParser.Context;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the {@code cohorts:} section of a settings file, a migration's {@code include:} and
 * {@code exclude:} lists, and cohort files. What can be checked within one file is checked here;
 * names are resolved across files by {@link SettingsDirectory#merge}.
 */
final class CohortReader {

    static final Set<String> FIELDS = Set.of("units", "prefixes", "file");

    /** Written before a list entry to name a cohort explicitly (refused when no such cohort is declared). */
    static final String COHORT_MARK = "cohort:";
    /** Written before a list entry to list a unit that happens to share a cohort's name. */
    static final String UNIT_MARK = "unit:";

    private CohortReader() {
    }

    /** A cohort as one file declares it; its file's units are read at merge. */
    record DeclaredCohort(String name, List<String> units, List<String> prefixes, String fileRef, String file, int line) {
    }

    /** One entry of an include or exclude list, as written. */
    record Entry(String text, String field, int line) {
    }

    /** The cohorts of one file, by name; problems go to {@code ctx}. */
    static Map<String, DeclaredCohort> readCohorts(Context ctx, JsonNode node) {
        Map<String, DeclaredCohort> cohorts = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return cohorts;
        }
        if (!node.isObject()) {
            ctx.problem(ctx.loc.lineOf("cohorts"), null, "cohorts", "must be a mapping of cohort name to"
                    + " {units, prefixes, file}, found " + describe(node));
            return cohorts;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            String[] at = {"cohorts", name};
            int line = ctx.loc.lineOf(at);
            String where = "cohorts." + name;
            int before = ctx.problems.size();
            if (!Cohort.isValidName(name)) {
                ctx.problem(line, null, where, "invalid cohort name: 1 to 64 letters, digits, '.', '_' or '-',"
                        + " starting with a letter or digit");
            }
            JsonNode c = e.getValue();
            if (c == null || !c.isObject()) {
                ctx.problem(line, null, where, "must be a mapping with 'units', 'prefixes' and/or 'file', found " + describe(c));
                continue;
            }
            unknownFields(ctx, c, FIELDS, null, where + ".", at);
            List<String> units = strings(ctx, c.get("units"), where + ".units", new String[] {"cohorts", name, "units"}, true);
            List<String> prefixes = strings(ctx, c.get("prefixes"), where + ".prefixes",
                    new String[] {"cohorts", name, "prefixes"}, false);
            if (prefixes.size() > Cohort.MAX_PREFIXES) {
                ctx.problem(ctx.loc.lineOf("cohorts", name, "prefixes"), null, where + ".prefixes", "has "
                        + prefixes.size() + " prefixes, over the limit of " + Cohort.MAX_PREFIXES
                        + "; list units, or use a cohort file");
            }
            String fileRef = null;
            JsonNode f = c.get("file");
            int fileLine = ctx.loc.lineOf("cohorts", name, "file");
            if (f != null && !f.isNull()) {
                if (!f.isTextual()) {
                    ctx.problem(fileLine, null, where + ".file", "must be a file name, found " + describe(f));
                } else {
                    fileRef = f.asText();
                    String bad = fileNameProblem(fileRef);
                    if (bad != null) {
                        ctx.problem(fileLine, null, where + ".file", bad);
                    }
                }
            }
            if (c.get("units") == null && c.get("prefixes") == null && c.get("file") == null) {
                ctx.problem(line, null, where, "declares no units, prefixes or file");
            }
            if (ctx.problems.size() == before) {
                cohorts.put(name, new DeclaredCohort(name, units, prefixes, fileRef, ctx.file, line));
            }
        }
        return cohorts;
    }

    /** Why {@code name} cannot be a cohort file beside the settings files, or null. */
    static String fileNameProblem(String name) {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            return "must name a file beside the settings files (no directories, not starting with '.'), found '"
                    + InputText.abbreviate(name, 80) + "'";
        }
        if (SettingsFileParser.isSettingsFile(name)) {
            return "'" + name + "' ends like a settings file (.yaml, .yml, .json) and would be read as one;"
                    + " name the cohort file e.g. " + name.replaceAll("\\.[^.]*$", "") + ".txt";
        }
        return null;
    }

    /** A migration's include or exclude list; problems go to {@code ctx}. */
    static List<Entry> readList(Context ctx, JsonNode node, String key, String field) {
        List<Entry> entries = new ArrayList<>();
        if (node == null || node.isNull()) {
            return entries;
        }
        String[] at = {"migrations", key, field};
        if (!node.isArray()) {
            ctx.problem(ctx.loc.lineOf(at), key, field, "must be a list of cohort names and units, found " + describe(node));
            return entries;
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            String itemField = field + "[" + i + "]";
            int line = ctx.loc.lineOf("migrations", key, field, "[" + i + "]");
            if (line == 0) {
                line = ctx.loc.lineOf(at);
            }
            if (!item.isTextual()) {
                ctx.problem(line, key, itemField, "must be a cohort name or a unit (text), found " + describe(item));
                continue;
            }
            String text = item.asText();
            String unit = text.startsWith(UNIT_MARK) ? text.substring(UNIT_MARK.length()) : text;
            String problem = text.startsWith(COHORT_MARK) ? null : Cohort.unitProblem(unit);
            if (problem != null) {
                ctx.problem(line, key, itemField, problem);
                continue;
            }
            entries.add(new Entry(text, itemField, line));
        }
        return entries;
    }

    private static List<String> strings(Context ctx, JsonNode node, String field, String[] at, boolean units) {
        int line = ctx.loc.lineOf(at);
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            ctx.problem(line, null, field, "must be a list of text, found " + describe(node));
            return out;
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            int itemLine = ctx.loc.lineOf(SettingsFileParser.append(at, "[" + i + "]"));
            if (itemLine == 0) {
                itemLine = line;
            }
            if (!item.isTextual()) {
                ctx.problem(itemLine, null, field + "[" + i + "]", "must be text, found " + describe(item));
                continue;
            }
            String problem = Cohort.unitProblem(item.asText());
            if (problem != null) {
                ctx.problem(itemLine, null, field + "[" + i + "]", units ? problem : problem.replace("a unit", "a prefix"));
                continue;
            }
            out.add(item.asText());
        }
        return out;
    }

    /**
     * The units of a cohort file: one a line, surrounding blanks trimmed, blank lines and lines
     * starting with '#' skipped.
     *
     * @param referencedAt the problem's location when the file is refused whole (the {@code file:} field)
     * @throws SettingsException naming the cohort file and line of every unit over the limits, or the
     *     settings file's {@code file:} field when the file is too big
     */
    static List<String> readFile(String fileName, byte[] content, SettingsProblem referencedAt) throws SettingsException {
        if (content.length > Cohort.MAX_FILE_BYTES) {
            throw new SettingsException(new SettingsProblem(referencedAt.file(), referencedAt.line(), null, referencedAt.field(),
                    "cohort file " + fileName + " is " + content.length + " bytes, over the 1 MiB limit"));
        }
        List<SettingsProblem> problems = new ArrayList<>();
        List<String> units = new ArrayList<>();
        String text = new String(content, StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String unit = lines[i].strip();
            if (unit.isEmpty() || unit.startsWith("#")) {
                continue;
            }
            String problem = Cohort.unitProblem(unit);
            if (problem != null) {
                if (problems.size() < 20) {
                    problems.add(new SettingsProblem(fileName, i + 1, null, null, problem));
                }
                continue;
            }
            units.add(unit);
        }
        if (units.size() > Cohort.MAX_FILE_UNITS) {
            problems.add(new SettingsProblem(referencedAt.file(), referencedAt.line(), null, referencedAt.field(),
                    "cohort file " + fileName + " holds " + units.size() + " units, over the limit of "
                    + String.format(Locale.ROOT, "%,d", Cohort.MAX_FILE_UNITS)));
        }
        if (!problems.isEmpty()) {
            throw new SettingsException(problems);
        }
        return units;
    }
}

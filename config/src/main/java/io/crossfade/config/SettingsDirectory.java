package io.crossfade.config;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Loads a directory of settings files ({@code *.yaml}, {@code *.yml}, {@code *.json}; names
 * starting with a dot are skipped, which also skips Kubernetes' {@code ..data} internals while
 * following its symlinks) into one {@link SettingsSpec}. The load is all or nothing: any problem in
 * any file fails it, with every problem listed.
 */
public final class SettingsDirectory {

    private final SettingsFileParser parser = new SettingsFileParser();

    /**
     * Reads and validates every settings file in {@code dir}.
     *
     * @throws SettingsException when the directory cannot be read or any file is invalid; the
     *     problems name file, line, key and field
     */
    public SettingsSpec load(Path dir) throws SettingsException {
        return parse(read(dir));
    }

    /**
     * Reads the raw content of every settings file in {@code dir}, by file name in name order,
     * without validating it.
     *
     * @throws SettingsException when the directory or a file cannot be read, or a file is over 4 MiB
     */
    public SortedMap<String, byte[]> read(Path dir) throws SettingsException {
        List<SettingsProblem> problems = new ArrayList<>();
        List<Path> files = list(dir, problems);
        SortedMap<String, byte[]> contents = new TreeMap<>();
        for (Path file : files) {
            String name = file.getFileName().toString();
            try {
                long size = Files.size(file);
                if (size > SettingsFileParser.MAX_FILE_BYTES) {
                    problems.add(new SettingsProblem(name, 0, null, null,
                            "file is " + size + " bytes, over the 4 MiB limit"));
                    continue;
                }
                contents.put(name, Files.readAllBytes(file));
            } catch (NoSuchFileException e) {
                // Removed between listing and reading (an editor's rename, a ConfigMap swap): the
                // watcher sees that change too and loads again.
                problems.add(new SettingsProblem(name, 0, null, null, "disappeared while being read"));
            } catch (java.nio.file.AccessDeniedException e) {
                problems.add(new SettingsProblem(name, 0, null, null, "cannot be read: permission denied (EACCES)"));
            } catch (IOException e) {
                problems.add(new SettingsProblem(name, 0, null, null, "cannot be read: " + e.getMessage()));
            }
        }
        // Cohort files are read with the settings files that name them, so that a reload (and the
        // last-known-good copy) holds one consistent set; parse() judges their content.
        java.util.Set<String> cohortFiles = new java.util.TreeSet<>();
        contents.forEach((name, content) -> cohortFiles.addAll(parser.cohortFileNames(name, content)));
        for (String name : cohortFiles) {
            Path file = dir.resolve(name);
            if (!Files.exists(file) || contents.containsKey(name)) {
                continue; // parse() says which settings file names a missing file
            }
            String notAFile = notARegularFile(file);
            if (notAFile != null) {
                problems.add(new SettingsProblem(name, 0, null, null, "cohort file " + notAFile));
                continue;
            }
            try {
                long size = Files.size(file);
                if (size > SettingsFileParser.MAX_FILE_BYTES) {
                    problems.add(new SettingsProblem(name, 0, null, null,
                            "cohort file is " + size + " bytes, over the 1 MiB limit"));
                    continue;
                }
                contents.put(name, Files.readAllBytes(file));
            } catch (IOException e) {
                problems.add(new SettingsProblem(name, 0, null, null, "cohort file cannot be read: " + e.getMessage()));
            }
        }
        if (!problems.isEmpty()) {
            throw new SettingsException(problems);
        }
        return contents;
    }

    /**
     * Parses and validates file contents as if they were the files of one directory (used for the
     * directory itself and for the last-known-good copy of it).
     *
     * @param files content by file name; the name's extension picks YAML or JSON
     * @throws SettingsException listing every problem in every file
     */
    public SettingsSpec parse(Map<String, byte[]> files) throws SettingsException {
        List<SettingsProblem> problems = new ArrayList<>();
        List<SettingsFileParser.ParsedFile> parsed = new ArrayList<>();
        Map<String, byte[]> cohortFiles = new TreeMap<>();
        for (Map.Entry<String, byte[]> file : new TreeMap<>(files).entrySet()) {
            if (!SettingsFileParser.isSettingsFile(file.getKey())) {
                cohortFiles.put(file.getKey(), file.getValue());
                continue;
            }
            try {
                parsed.add(parser.parse(file.getKey(), file.getValue()));
            } catch (SettingsException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new SettingsException(problems);
        }
        return merge(parsed, cohortFiles);
    }

    static SettingsSpec merge(List<SettingsFileParser.ParsedFile> files) throws SettingsException {
        return merge(files, Map.of());
    }

    /**
     * Merges already-parsed files: a key may be declared once across all files, and every migration
     * must change a declared setting.
     */
    static SettingsSpec merge(List<SettingsFileParser.ParsedFile> files, Map<String, byte[]> cohortFiles)
            throws SettingsException {
        List<SettingsProblem> problems = new ArrayList<>();
        Map<String, Cohort> cohorts = cohorts(files, cohortFiles, problems);
        Map<String, Setting> settings = new TreeMap<>();
        Map<String, String> settingFile = new HashMap<>();
        Map<String, SettingsFileParser.DeclaredMigration> declared = new LinkedHashMap<>();
        for (SettingsFileParser.ParsedFile f : files) {
            for (Setting s : f.settings().values()) {
                String other = settingFile.putIfAbsent(s.key(), f.file());
                if (other != null) {
                    problems.add(new SettingsProblem(f.file(), f.settingLines().getOrDefault(s.key(), 0), s.key(), null,
                            "duplicate key: already declared in " + other));
                } else {
                    settings.put(s.key(), s);
                }
            }
            for (SettingsFileParser.DeclaredMigration m : f.migrations().values()) {
                SettingsFileParser.DeclaredMigration other = declared.putIfAbsent(m.key(), m);
                if (other != null) {
                    problems.add(new SettingsProblem(f.file(), m.line(), m.key(), null,
                            "duplicate migration: already declared in " + other.file()));
                }
            }
        }
        Map<String, MigrationSpec> migrations = new TreeMap<>();
        for (SettingsFileParser.DeclaredMigration m : declared.values()) {
            Setting setting = settings.get(m.key());
            if (setting == null) {
                problems.add(new SettingsProblem(m.file(), m.line(), m.key(), null,
                        "migration of unknown setting: declare '" + m.key() + "' under 'settings' first"));
                continue;
            }
            var from = m.from() == null ? setting.value() : m.from();
            if (from.equals(m.to())) {
                problems.add(new SettingsProblem(m.file(), m.line(), m.key(), "to",
                        "is the same as the old value " + from + "; nothing would change"));
                continue;
            }
            Targeting targeting = targeting(m, cohorts, problems);
            migrations.put(m.key(), new MigrationSpec(m.key(), from, m.to(), m.salt(), m.initialPercent(), m.owner(),
                    m.expected(), m.rollback(), m.guard(), m.steps(), m.file(), targeting));
        }
        if (!problems.isEmpty()) {
            throw new SettingsException(problems);
        }
        return new SettingsSpec(settings, migrations, cohorts);
    }

    /** The named cohorts of all files, with their files' units read; a name may be declared once. */
    private static Map<String, Cohort> cohorts(List<SettingsFileParser.ParsedFile> files, Map<String, byte[]> cohortFiles,
            List<SettingsProblem> problems) {
        Map<String, Cohort> cohorts = new TreeMap<>();
        Map<String, String> declaredIn = new HashMap<>();
        for (SettingsFileParser.ParsedFile f : files) {
            for (CohortReader.DeclaredCohort c : f.cohorts().values()) {
                String other = declaredIn.putIfAbsent(c.name(), f.file());
                if (other != null) {
                    problems.add(new SettingsProblem(f.file(), c.line(), null, "cohorts." + c.name(),
                            "duplicate cohort: already declared in " + other));
                    continue;
                }
                List<String> units = new ArrayList<>(c.units());
                if (c.fileRef() != null) {
                    SettingsProblem at = new SettingsProblem(f.file(), c.line(), null, "cohorts." + c.name() + ".file", "");
                    byte[] content = cohortFiles.get(c.fileRef());
                    if (content == null) {
                        problems.add(new SettingsProblem(f.file(), c.line(), null, "cohorts." + c.name() + ".file",
                                "cohort file " + c.fileRef() + " does not exist beside the settings files"));
                        continue;
                    }
                    try {
                        units.addAll(CohortReader.readFile(c.fileRef(), content, at));
                    } catch (SettingsException e) {
                        problems.addAll(e.problems());
                        continue;
                    }
                }
                cohorts.put(c.name(), new Cohort(c.name(), units, c.prefixes(), c.fileRef()));
            }
        }
        return cohorts;
    }

    /**
     * Resolves a migration's include and exclude entries: a declared cohort's name is that cohort
     * ({@code cohort:NAME} insists on it), anything else a unit listed inline ({@code unit:X} insists
     * on that).
     */
    private static Targeting targeting(SettingsFileParser.DeclaredMigration m, Map<String, Cohort> cohorts,
            List<SettingsProblem> problems) {
        if (m.include().isEmpty() && m.exclude().isEmpty()) {
            return Targeting.NONE;
        }
        int before = problems.size();
        List<Cohort> include = resolve(m, m.include(), cohorts, problems);
        List<Cohort> exclude = resolve(m, m.exclude(), cohorts, problems);
        Map<String, CohortReader.Entry> included = new HashMap<>();
        for (CohortReader.Entry e : m.include()) {
            included.putIfAbsent(nameOf(e, cohorts), e);
        }
        for (CohortReader.Entry e : m.exclude()) {
            CohortReader.Entry both = included.get(nameOf(e, cohorts));
            if (both != null) {
                problems.add(new SettingsProblem(m.file(), e.line(), m.key(), e.field(), "'" + e.text()
                        + "' is both included (" + both.field() + ") and excluded; exclude would win, so remove it"
                        + " from one list"));
            }
        }
        return problems.size() > before ? Targeting.NONE : Targeting.of(include, exclude);
    }

    /** What an entry names, comparable across include and exclude: "c:" + cohort or "u:" + unit. */
    private static String nameOf(CohortReader.Entry e, Map<String, Cohort> cohorts) {
        String t = e.text();
        if (t.startsWith(CohortReader.COHORT_MARK)) {
            return "c:" + t.substring(CohortReader.COHORT_MARK.length());
        }
        if (t.startsWith(CohortReader.UNIT_MARK)) {
            return "u:" + t.substring(CohortReader.UNIT_MARK.length());
        }
        return cohorts.containsKey(t) ? "c:" + t : "u:" + t;
    }

    private static List<Cohort> resolve(SettingsFileParser.DeclaredMigration m, List<CohortReader.Entry> entries,
            Map<String, Cohort> cohorts, List<SettingsProblem> problems) {
        List<Cohort> out = new ArrayList<>();
        List<String> inline = new ArrayList<>();
        for (CohortReader.Entry e : entries) {
            String name = nameOf(e, cohorts);
            if (name.startsWith("u:")) {
                inline.add(name.substring(2));
                continue;
            }
            Cohort c = cohorts.get(name.substring(2));
            if (c == null) {
                problems.add(new SettingsProblem(m.file(), e.line(), m.key(), e.field(), "unknown cohort '"
                        + name.substring(2) + "'; declared cohorts: " + cohorts.keySet()));
            } else {
                out.add(c);
            }
        }
        if (!inline.isEmpty()) {
            out.add(Cohort.inline(inline));
        }
        return out;
    }

    private static List<Path> list(Path dir, List<SettingsProblem> problems) throws SettingsException {
        String shown = dir.toString();
        if (!Files.isDirectory(dir)) {
            throw new SettingsException(new SettingsProblem(null, 0, null, null,
                    "settings directory " + shown + " does not exist or is not a directory"));
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                String name = p.getFileName().toString();
                if (!SettingsFileParser.isSettingsFile(name)) {
                    continue;
                }
                String notAFile = notARegularFile(p);
                if (notAFile == null) {
                    files.add(p);
                } else {
                    // Skipping it would drop what it declared: a directory or FIFO where a file was,
                    // a dangling link mid-copy, a permission slip. Refuse the reload instead.
                    problems.add(new SettingsProblem(name, 0, null, null, notAFile));
                }
            }
        } catch (IOException e) {
            throw new SettingsException(new SettingsProblem(null, 0, null, null,
                    "settings directory " + shown + " cannot be read: " + e.getMessage()));
        }
        files.sort(null);
        return files;
    }

    /**
     * Why a path named like a settings file cannot be read as one, with the system's cause
     * ({@code ENOENT}, {@code ELOOP}, {@code EACCES}), or null when it is a readable regular file
     * (directly or through symbolic links).
     */
    static String notARegularFile(Path p) {
        BasicFileAttributes linkAttrs;
        try {
            linkAttrs = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return "disappeared while being read";
        } catch (IOException e) {
            return "cannot be read: " + e.getMessage();
        }
        BasicFileAttributes attrs = linkAttrs;
        if (linkAttrs.isSymbolicLink()) {
            try {
                attrs = Files.readAttributes(p, BasicFileAttributes.class);
            } catch (NoSuchFileException e) {
                return "is a symbolic link to " + target(p) + ", which does not exist (ENOENT)";
            } catch (FileSystemException e) {
                String reason = e.getReason() == null ? "" : e.getReason();
                if (reason.contains("symbolic links") || reason.toLowerCase(java.util.Locale.ROOT).contains("loop")) {
                    return "is a symbolic link that loops (ELOOP)";
                }
                return "is a symbolic link that cannot be followed: " + (reason.isEmpty() ? e.getMessage() : reason);
            } catch (IOException e) {
                return "is a symbolic link that cannot be followed: " + e.getMessage();
            }
        }
        if (attrs.isDirectory()) {
            return "is a directory, not a settings file";
        }
        if (!attrs.isRegularFile()) {
            return "is not a regular file (a FIFO, socket or device); settings files must be plain files";
        }
        if (!Files.isReadable(p)) {
            return "cannot be read: permission denied (EACCES)";
        }
        return null;
    }

    private static String target(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "a path";
        }
    }
}

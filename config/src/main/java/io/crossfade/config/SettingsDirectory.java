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
        for (Map.Entry<String, byte[]> file : new TreeMap<>(files).entrySet()) {
            try {
                parsed.add(parser.parse(file.getKey(), file.getValue()));
            } catch (SettingsException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new SettingsException(problems);
        }
        return merge(parsed);
    }

    /**
     * Merges already-parsed files: a key may be declared once across all files, and every migration
     * must change a declared setting.
     */
    static SettingsSpec merge(List<SettingsFileParser.ParsedFile> files) throws SettingsException {
        List<SettingsProblem> problems = new ArrayList<>();
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
            migrations.put(m.key(), new MigrationSpec(m.key(), from, m.to(), m.salt(), m.initialPercent(), m.owner(),
                    m.expected(), m.rollback(), m.guard(), m.steps(), m.file()));
        }
        if (!problems.isEmpty()) {
            throw new SettingsException(problems);
        }
        return new SettingsSpec(settings, migrations);
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

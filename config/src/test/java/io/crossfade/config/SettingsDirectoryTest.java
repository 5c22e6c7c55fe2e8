package io.crossfade.config;

import static io.crossfade.config.SettingsFileParserTest.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.IntNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsDirectoryTest {

    @TempDir
    Path dir;

    private final SettingsDirectory directory = new SettingsDirectory();

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    private List<SettingsProblem> problems() {
        SettingsException e = catchThrowableOfType(SettingsException.class, () -> directory.load(dir));
        assertThat(e).as("expected the directory to be rejected").isNotNull();
        return e.problems();
    }

    private SettingsProblem onlyProblem() {
        List<SettingsProblem> ps = problems();
        assertThat(ps).hasSize(1);
        return ps.get(0);
    }

    @Test
    void designExampleYamlLoads() throws Exception {
        write("settings.yaml", SettingsFileParserTest.DESIGN_EXAMPLE);
        SettingsFileParserTest.assertDesignExample(directory.load(dir), "settings.yaml");
    }

    @Test
    void designExampleJsonLoads() throws Exception {
        write("settings.json", SettingsFileParserTest.DESIGN_EXAMPLE_JSON);
        SettingsFileParserTest.assertDesignExample(directory.load(dir), "settings.json");
    }

    @Test
    void yamlYmlAndJsonFilesAreMergedAndAMigrationMayChangeASettingOfAnotherFile() throws Exception {
        write("a.yaml", "settings:\n  db.pool.size: {value: 10}\n");
        write("b.yml", "settings:\n  cache.ttl: {value: 60s}\n");
        write("c.json", "{\"migrations\": {\"db.pool.size\": {\"to\": 20, \"percent\": 1}}}");
        SettingsSpec spec = directory.load(dir);
        assertThat(spec.settings()).containsOnlyKeys("cache.ttl", "db.pool.size");
        assertThat(spec.settings().get("db.pool.size").source()).isEqualTo("a.yaml");
        assertThat(spec.settings().get("cache.ttl").source()).isEqualTo("b.yml");
        MigrationSpec m = spec.migrations().get("db.pool.size");
        assertThat(m.from()).isEqualTo(IntNode.valueOf(10));
        assertThat(m.to()).isEqualTo(IntNode.valueOf(20));
        assertThat(m.initialPercent()).isEqualTo(1_000);
        assertThat(m.source()).isEqualTo("c.json");
    }

    @Test
    void anEmptyDirectoryDeclaresNothingButEmptyFilesAreRefusedByName() throws Exception {
        assertThat(directory.load(dir)).isEqualTo(SettingsSpec.EMPTY);
        write("empty.yaml", "");
        write("empty.json", "");
        write("comment.yml", "# nothing yet\n");
        assertThat(problems()).extracting(SettingsProblem::file).containsExactly("comment.yml", "empty.json", "empty.yaml");
    }

    @Test
    void aDirectoryNamedLikeASettingsFileIsRefusedNotSkipped() throws Exception {
        write("a.yaml", "settings:\n  a: {value: 1}\n");
        Files.createDirectory(dir.resolve("b.yaml"));
        assertProblem(onlyProblem(), "b.yaml", 0, null, null, "is a directory");
    }

    @Test
    void aDanglingSymlinkIsRefusedWithItsCause() throws Exception {
        write("a.yaml", "settings:\n  a: {value: 1}\n");
        Files.createSymbolicLink(dir.resolve("b.yaml"), dir.resolve("nowhere.yaml"));
        SettingsProblem p = onlyProblem();
        assertProblem(p, "b.yaml", 0, null, null, "does not exist (ENOENT)");
    }

    @Test
    void aLoopingSymlinkIsRefusedWithItsCause() throws Exception {
        write("a.yaml", "settings:\n  a: {value: 1}\n");
        Files.createSymbolicLink(dir.resolve("b.yaml"), dir.resolve("c.yaml"));
        Files.createSymbolicLink(dir.resolve("c.yaml"), dir.resolve("b.yaml"));
        assertThat(problems()).extracting(SettingsProblem::reason).allSatisfy(r -> assertThat(r).contains("ELOOP"));
    }

    @Test
    void aFifoIsRefusedWithoutBlockingOnIt() throws Exception {
        write("a.yaml", "settings:\n  a: {value: 1}\n");
        Process mkfifo = new ProcessBuilder("mkfifo", dir.resolve("b.yaml").toString()).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo is available");
        assertProblem(onlyProblem(), "b.yaml", 0, null, null, "not a regular file");
    }

    @Test
    void nonSettingsFilesHiddenFilesAndSubdirectoriesAreIgnored() throws Exception {
        write("settings.yaml", "settings:\n  a: {value: 1}\n");
        write("README.md", "# not: [valid yaml");
        write(".hidden.yaml", "settings:\n  a: {value: 2}\n");
        write(".settings.yaml.swp", "garbage");
        write("settings.yaml.bak", "settings:\n  a: {value: 3}\n");
        write("notes.txt", "settings: {b: {value: 1}}");
        write("nested/more.yaml", "settings:\n  b: {value: 1}\n");
        SettingsSpec spec = directory.load(dir);
        assertThat(spec.settings()).containsOnlyKeys("a");
        assertThat(spec.settings().get("a").value()).isEqualTo(IntNode.valueOf(1));
    }

    @Test
    void missingDirectoryIsAProblemWithoutAFile() {
        Path missing = dir.resolve("nope");
        SettingsException e = catchThrowableOfType(SettingsException.class, () -> directory.load(missing));
        assertThat(e.problems()).hasSize(1);
        assertProblem(e.problems().get(0), null, 0, null, null, "does not exist or is not a directory");
        assertThat(e.problems().get(0).reason()).contains(missing.toString());
    }

    @Test
    void regularFileInsteadOfADirectoryIsAProblem() throws Exception {
        Path file = write("settings.yaml", "settings: {}\n");
        SettingsException e = catchThrowableOfType(SettingsException.class, () -> directory.load(file));
        assertProblem(e.problems().get(0), null, 0, null, null, "not a directory");
    }

    @Test
    void symlinkedDirectoryIsFollowed() throws Exception {
        write("real/settings.yaml", "settings:\n  a: {value: 1}\n");
        Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("real"));
        assertThat(directory.load(link).settings()).containsOnlyKeys("a");
    }

    @Test
    void duplicateKeyAcrossTwoFilesNamesBothFiles() throws Exception {
        write("a.yaml", "settings:\n  shared: {value: 1}\n");
        write("b.yaml", "settings:\n  own: {value: 2}\n  shared: {value: 3}\n");
        SettingsProblem p = onlyProblem();
        assertProblem(p, "b.yaml", 3, "shared", null, "duplicate key: already declared in a.yaml");
    }

    @Test
    void duplicateMigrationAcrossTwoFilesNamesBothFiles() throws Exception {
        write("a.yaml", "settings:\n  k: {value: 1}\nmigrations:\n  k: {to: 2}\n");
        write("b.json", "{\"migrations\": {\n \"k\": {\"to\": 3}}}");
        SettingsProblem p = onlyProblem();
        assertProblem(p, "b.json", 2, "k", null, "duplicate migration: already declared in a.yaml");
    }

    @Test
    void migrationOfASettingNoFileDeclaresIsAProblem() throws Exception {
        write("a.yaml", "settings:\n  k: {value: 1}\n");
        write("b.yaml", "migrations:\n  other: {to: 2}\n");
        SettingsProblem p = onlyProblem();
        assertProblem(p, "b.yaml", 2, "other", null, "migration of unknown setting");
    }

    @Test
    void migrationToTheValueOfASettingInAnotherFileIsAProblem() throws Exception {
        write("a.yaml", "settings:\n  k: {value: [1, 2]}\n");
        write("b.yaml", "migrations:\n  k:\n    to: [1, 2]\n");
        SettingsProblem p = onlyProblem();
        assertProblem(p, "b.yaml", 2, "k", "to", "is the same as the old value");
    }

    @Test
    void problemsOfEveryFileAreReportedTogether() throws Exception {
        write("a.yaml", "settings:\n  a: {value: 1, colour: red}\n");
        write("b.json", "{\"settings\": {\"b\": }");
        write("c.yaml", "settings:\n  c: {value: 1}\n");
        List<SettingsProblem> ps = problems();
        assertThat(ps).extracting(SettingsProblem::file).containsExactly("a.yaml", "b.json");
        assertProblem(ps.get(0), "a.yaml", 2, "a", "colour", "unknown field");
        assertProblem(ps.get(1), "b.json", 1, null, null, "not valid JSON");
    }

    @Test
    void fileOverFourMebibytesIsRefusedByName() throws Exception {
        write("small.yaml", "settings:\n  a: {value: 1}\n");
        byte[] big = new byte[(int) SettingsFileParser.MAX_FILE_BYTES + 1];
        java.util.Arrays.fill(big, (byte) '#');
        Files.write(dir.resolve("big.yaml"), big);
        SettingsProblem p = onlyProblem();
        assertProblem(p, "big.yaml", 0, null, null, "over the 4 MiB limit");
        assertThat(p.reason()).contains(Long.toString(SettingsFileParser.MAX_FILE_BYTES + 1));
    }

    @Test
    void fileOfExactlyFourMebibytesLoads() throws Exception {
        write("big.yaml", SettingsFileParserTest.validFileOfSize((int) SettingsFileParser.MAX_FILE_BYTES));
        assertThat(Files.size(dir.resolve("big.yaml"))).isEqualTo(SettingsFileParser.MAX_FILE_BYTES);
        assertThat(directory.load(dir).settings()).containsKey("key-0");
    }

    /**
     * The layout Kubernetes mounts a ConfigMap as: the files live in a timestamped directory,
     * {@code ..data} links to it, and each visible name links through {@code ..data}.
     */
    private void configMap(String version, String content) throws IOException {
        Path real = dir.resolve("..2024_01_0" + version);
        Files.createDirectories(real);
        Files.writeString(real.resolve("settings.yaml"), content);
        // Swap ..data atomically, as kubelet does: a new link, renamed over the old one.
        Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), dir.relativize(real));
        Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (!Files.exists(dir.resolve("settings.yaml"), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(dir.resolve("settings.yaml"), Path.of("..data", "settings.yaml"));
        }
    }

    @Test
    void kubernetesConfigMapLayoutLoadsEachFileExactlyOnce() throws Exception {
        configMap("1", "settings:\n  db.pool.size: {value: 10}\n");
        assertThat(Files.isSymbolicLink(dir.resolve("..data"))).isTrue();
        assertThat(Files.isSymbolicLink(dir.resolve("settings.yaml"))).isTrue();
        // Loaded through the visible link only: the same key seen twice would be a duplicate.
        SettingsSpec spec = directory.load(dir);
        assertThat(spec.settings()).containsOnlyKeys("db.pool.size");
        assertThat(spec.settings().get("db.pool.size").source()).isEqualTo("settings.yaml");
    }

    @Test
    void kubernetesConfigMapSwapIsPickedUpByTheNextLoad() throws Exception {
        configMap("1", "settings:\n  db.pool.size: {value: 10}\n");
        assertThat(directory.load(dir).settings().get("db.pool.size").value()).isEqualTo(IntNode.valueOf(10));
        configMap("2", "settings:\n  db.pool.size: {value: 20}\n");
        assertThat(directory.load(dir).settings().get("db.pool.size").value()).isEqualTo(IntNode.valueOf(20));
    }
}

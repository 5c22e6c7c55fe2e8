package io.crossfade.sidecar.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.Bucketing;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.testing.ApiAnswers;
import io.crossfade.sidecar.testing.Jdk25;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No Docker engine runs here, so the Dockerfile is checked against what the build really makes and
 * what the README promises: the jar it copies out of the build stage is the one the build produces,
 * its build command is the README's, every module reaches the build stage, the image runs as a
 * non-root user with the documented paths, ports and health check, and its entrypoint, run as the
 * image would run it (on a JDK 25, as the image's JRE, with the AOT cache its last RUN records),
 * starts the sidecar printing JSON log lines.
 */
class DockerfileIT {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Dockerfile DOCKERFILE = Dockerfile.read(ROOT.resolve("Dockerfile"));
    private static final List<String> DOCKERFILE_LINES = lines(ROOT.resolve("Dockerfile"));

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
    private static final Pattern ENV_PAIR = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S+)");

    @TempDir
    Path settings;
    @TempDir
    Path state;
    @TempDir
    Path archiveDir;

    static Map<String, String> env(Dockerfile.Stage stage) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Dockerfile.Instruction i : stage.all("ENV")) {
            Matcher m = ENV_PAIR.matcher(i.arguments());
            while (m.find()) {
                String value = m.group(2);
                env.put(m.group(1), value.startsWith("\"") ? value.substring(1, value.length() - 1) : value);
            }
        }
        return env;
    }

    static String buildStageWorkdir() {
        return DOCKERFILE.stage("build").last("WORKDIR").orElseThrow().arguments();
    }

    /** The {@code COPY --from=build SRC DST} of the final stage, as [SRC, DST]. */
    static String[] jarCopy() {
        List<String[]> copies = new ArrayList<>();
        for (Dockerfile.Instruction i : DOCKERFILE.finalStage().all("COPY")) {
            if (i.arguments().startsWith("--from=build ")) {
                copies.add(i.arguments().substring("--from=build ".length()).trim().split("\\s+"));
            }
        }
        assertThat(copies).as("COPY --from=build in the final stage").hasSize(1);
        return copies.get(0);
    }

    @Test
    void theJarCopiedFromTheBuildStageIsTheOneTheBuildMakes() throws Exception {
        String copied = jarCopy()[0];
        String workdir = buildStageWorkdir();

        assertThat(copied).startsWith(workdir + "/");
        Path relative = Path.of(copied.substring(workdir.length() + 1));
        assertThat(relative).isEqualTo(Path.of("sidecar/target/crossfade-sidecar.jar"));
        Path built = ROOT.resolve(relative);
        assertThat(built).isRegularFile();
        assertThat(Files.isSameFile(built, SidecarProcess.jar())).as("the jar the integration tests run").isTrue();
        try (JarFile jar = new JarFile(built.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.crossfade.sidecar.Main");
            assertThat(jar.getEntry("META-INF/services/ch.qos.logback.classic.spi.Configurator"))
                    .as("the log configuration in code, which reads CROSSFADE_LOG_FORMAT").isNotNull();
        }
    }

    @Test
    void theBuildStageRunsTheReadmesBuildCommandOnEveryModule() throws Exception {
        Dockerfile.Stage build = DOCKERFILE.stage("build");
        List<String> runs = build.all("RUN").stream().map(Dockerfile.Instruction::arguments).toList();

        // BuildKit mount options come first; what runs is the README's command
        assertThat(runs).singleElement().asString().contains("--mount=type=cache,target=/root/.m2 ");
        assertThat(runs.stream().map(r -> r.replaceAll("--mount=\\S+\\s+", ""))).containsExactly("./mvnw -B -DskipTests package");
        assertThat(Files.readString(ROOT.resolve("README.md"))).contains("`./mvnw -B -DskipTests package`");

        List<String> copied = build.all("COPY").stream()
                .flatMap(i -> {
                    String[] parts = i.arguments().split("\\s+");
                    return List.of(parts).subList(0, parts.length - 1).stream();
                })
                .map(s -> s.endsWith("/") ? s.substring(0, s.length() - 1) : s)
                .toList();
        assertThat(copied).contains(".mvn", "mvnw", "pom.xml");
        // The default build's modules: the first <modules> block (profiles such as -Pbench add their own,
        // which the image does not build).
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        String defaultModules = pom.substring(pom.indexOf("<modules>"), pom.indexOf("</modules>"));
        Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(defaultModules);
        List<String> modules = new ArrayList<>();
        while (module.find()) {
            modules.add(module.group(1).trim());
        }
        assertThat(modules).as("modules of the root pom").isNotEmpty();
        assertThat(copied).as("every module of the root pom reaches the build stage").containsAll(modules);
        for (String source : copied) {
            assertThat(ROOT.resolve(source)).as("COPY source %s", source).exists();
            assertThat(dockerIgnored(source)).as("%s is excluded by .dockerignore", source).isFalse();
        }
    }

    @Test
    void theImageRunsAsANonRootUserWithTheDocumentedPathsPortsAndHealthCheck() {
        Dockerfile.Stage image = DOCKERFILE.finalStage();

        String user = image.last("USER").orElseThrow().arguments();
        assertThat(user).isNotIn("root", "0", "0:0");
        assertThat(image.all("RUN")).anyMatch(i -> i.arguments().contains("useradd") && i.arguments().contains(user));
        assertThat(image.all("RUN")).anyMatch(i -> i.arguments().contains("chown " + user + ":" + user + " /var/lib/crossfade"));

        Map<String, String> env = env(image);
        assertThat(env).containsEntry("CROSSFADE_SETTINGS", "/etc/crossfade/settings")
                .containsEntry("CROSSFADE_STATE", "/var/lib/crossfade")
                .containsEntry("CROSSFADE_LISTEN", "127.0.0.1:7070")
                .containsEntry("CROSSFADE_OPS_LISTEN", "0.0.0.0:7071");
        assertThat(image.all("VOLUME")).extracting(Dockerfile.Instruction::arguments).contains("/var/lib/crossfade");
        assertThat(image.all("COPY")).anyMatch(i -> i.arguments().matches("examples/settings/? /etc/crossfade/settings/?"));
        assertThat(ROOT.resolve("examples/settings")).isDirectory();

        assertThat(image.all("EXPOSE")).extracting(Dockerfile.Instruction::arguments)
                .singleElement().satisfies(ports -> assertThat(ports.split("\\s+")).containsExactlyInAnyOrder("7070", "7071"));
        String healthcheck = image.last("HEALTHCHECK").orElseThrow().arguments();
        assertThat(healthcheck).contains("CMD").contains("/health").contains("7071");

        assertThat(image.last("ENTRYPOINT").orElseThrow().arguments()).contains(jarCopy()[1]);
        assertThat(image.last("CMD").orElseThrow().arguments()).isEqualTo("[\"serve\"]");
    }

    /**
     * The image's ENTRYPOINT and CMD, run through {@code sh} as Docker would, with the image's
     * environment (its paths and ports swapped for temporary ones) and a pod's {@code HOSTNAME}: the
     * sidecar starts from the environment alone, takes the host name as its instance id, and its
     * log lines are JSON that still say where it listens.
     */
    @Test
    void theEntrypointStartsTheSidecarFromTheEnvironmentLoggingJsonLines() throws Exception {
        Dockerfile.Stage image = DOCKERFILE.finalStage();
        List<String> command = new ArrayList<>();
        for (JsonNode part : ApiAnswers.json(image.last("ENTRYPOINT").orElseThrow().arguments())) {
            command.add(part.asText().replace(jarCopy()[1], SidecarProcess.jar().toString()));
        }
        for (JsonNode part : ApiAnswers.json(image.last("CMD").orElseThrow().arguments())) {
            command.add(part.asText());
        }
        Map<String, String> env = new HashMap<>(env(image));
        assertThat(env.get("CROSSFADE_LOG_FORMAT")).isEqualTo("json");
        // The image's AOT cache, recorded here as its RUN records it, by a JDK 25 as the image's JRE;
        // -XX:AOTMode=on (through CROSSFADE_JAVA_OPTS, which the entrypoint appends) makes the JVM
        // refuse to start unless it uses the cache, so the cache fits the jar and the JAVA_OPTS.
        Path cache = archiveDir.resolve("crossfade.aot");
        SidecarProcess.Result training = runTraining(cache);
        assertThat(training.exitCode()).as(training.output()).isZero();
        assertThat(cache).isRegularFile();
        env.put("JAVA_OPTS", env.get("JAVA_OPTS").replace(imageCache(), cache.toString()));
        env.put("CROSSFADE_JAVA_OPTS", "-XX:AOTMode=on");
        env.put("PATH", jdk25Bin() + ":" + System.getenv("PATH"));
        env.put("CROSSFADE_SETTINGS", settings.toString());
        env.put("CROSSFADE_STATE", state.toString());
        env.put("CROSSFADE_LISTEN", "127.0.0.1:0");
        env.put("CROSSFADE_OPS_LISTEN", "127.0.0.1:0");
        // In a pod HOSTNAME is the pod's name: the unit of reads without one. Pick one on the new side.
        String pod = firstOnNewSide();
        env.put("HOSTNAME", pod);
        SettingsFiles.write(settings, "app.yaml",
                "settings:\n  app.limit:\n    value: 5\nmigrations:\n  app.limit:\n    to: 6\n    percent: 50\n");

        try (SidecarProcess sidecar = SidecarProcess.startCommand(command, env, settings, state)) {
            assertThat(sidecar.get("/v1/settings/app.limit/value").body()).as("the pod's own side").isEqualTo("6");
            assertThat(sidecar.get("/v1/settings/app.limit/value?unit=" + firstOnOldSide()).body()).isEqualTo("5");
            assertThat(sidecar.getOps("/health").statusCode()).isEqualTo(200);
            SettingsFiles.write(settings, "app.yaml", "settings:\n  app.limit:\n    valu: 5\n");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> sidecar.output().stream().anyMatch(l -> l.contains("reload rejected")));

            List<JsonNode> lines = sidecar.output().stream().filter(l -> !l.isBlank()).map(ApiAnswers::json).toList();
            assertThat(lines).isNotEmpty().allSatisfy(line -> {
                assertThat(line.isObject()).isTrue();
                assertThat(line.path("level").asText()).isNotBlank();
                assertThat(line.path("loggerName").asText()).isNotBlank();
                assertThat(line.path("timestamp").asLong()).isPositive();
            });
            assertThat(lines).anySatisfy(line -> assertThat(line.path("formattedMessage").asText())
                    .matches("listening read=127\\.0\\.0\\.1:\\d+ ops=127\\.0\\.0\\.1:\\d+"));
            assertThat(lines).anySatisfy(line -> {
                assertThat(line.path("level").asText()).isEqualTo("ERROR");
                assertThat(line.path("formattedMessage").asText()).contains("app.yaml:3: app.limit.valu");
            });
            assertThat(lines).anySatisfy(line -> {
                assertThat(line.path("formattedMessage").asText()).contains("instance id " + pod);
            });
        }
    }

    /** The cache path of the final stage's {@code -XX:AOTCache=} in {@code JAVA_OPTS}. */
    static String imageCache() {
        Matcher m = Pattern.compile("-XX:AOTCache=(\\S+)").matcher(env(DOCKERFILE.finalStage()).get("JAVA_OPTS"));
        assertThat(m.find()).as("JAVA_OPTS names an AOT cache").isTrue();
        return m.group(1);
    }

    /** The bin directory of the JDK 25 the image's JRE stands for; the test is skipped without one. */
    private static String jdk25Bin() {
        Assumptions.assumeTrue(Jdk25.home().isPresent(), "no JDK 25 (set -Dcrossfade.jdk25=HOME)");
        return Jdk25.java().getParent().toString();
    }

    /** The final stage's RUN that records the AOT cache. */
    static String trainingRun() {
        List<String> runs = DOCKERFILE.finalStage().all("RUN").stream().map(Dockerfile.Instruction::arguments)
                .filter(r -> r.contains("train-cds-archive")).toList();
        assertThat(runs).as("a RUN of train-cds-archive in the final stage").hasSize(1);
        return runs.get(0);
    }

    @Test
    void theImageRecordsTheCacheItsJavaOptsNameWithItsOwnJvmAndFlags() {
        Dockerfile.Stage image = DOCKERFILE.finalStage();
        String run = trainingRun();
        String[] copy = image.all("COPY").stream().map(Dockerfile.Instruction::arguments)
                .filter(a -> a.startsWith("bin/train-cds-archive ")).findFirst().orElseThrow().split("\\s+");
        assertThat(ROOT.resolve(copy[0])).isRegularFile().isExecutable();
        // the script the image copied, with the image's java, jar, cache, settings and JAVA_OPTS; a
        // name ending in .aot makes it record an AOT cache (-XX:AOTCacheOutput), not an AppCDS archive
        assertThat(run).contains(copy[1] + " java " + jarCopy()[1] + " " + imageCache() + " /etc/crossfade/settings $JAVA_OPTS");
        assertThat(imageCache()).endsWith(".aot");
        // the final stage runs a JRE with AOT caches (JDK 25+): a JDK 17 has no -XX:AOTCache
        String from = DOCKERFILE_LINES.stream().filter(l -> l.startsWith("FROM ")).reduce((a, b) -> b).orElseThrow();
        Matcher release = Pattern.compile(":(\\d+)\\.").matcher(from);
        assertThat(release.find()).as(from).isTrue();
        assertThat(Integer.parseInt(release.group(1))).as("the final stage's Java release").isGreaterThanOrEqualTo(25);
        // recorded after the jar and the settings are in place, and before the image drops root
        List<Dockerfile.Instruction> all = image.instructions();
        int training = all.indexOf(image.all("RUN").stream().filter(i -> i.arguments().equals(run)).findFirst().orElseThrow());
        assertThat(all.subList(0, training)).anyMatch(i -> i.keyword().equals("COPY") && i.arguments().startsWith("--from=build "));
        assertThat(all.subList(training, all.size())).anyMatch(i -> i.keyword().equals("USER"));
        assertThat(image.all("ENTRYPOINT").get(0).arguments()).contains("$JAVA_OPTS $CROSSFADE_JAVA_OPTS -jar");
        assertThat(env(image).get("JAVA_OPTS")).contains("-XX:+UseSerialGC", "-Xmx", "-XX:+ExitOnOutOfMemoryError");
    }

    /**
     * A cache recorded under other flags, or for another jar, is never used, and the JVM's log says
     * why; the sidecar starts without it. The image's cache, recorded as its RUN records it, is run
     * with compact object headers added, and with the same jar copied elsewhere.
     */
    @Test
    void aCacheOfOtherFlagsOrAnotherJarIsNotUsedAndTheLogSaysWhy() throws Exception {
        String bin = jdk25Bin();
        Path cache = archiveDir.resolve("crossfade.aot");
        SidecarProcess.Result training = runTraining(cache);
        assertThat(training.exitCode()).as(training.output()).isZero();
        List<String> imageOpts = new ArrayList<>(List.of(env(DOCKERFILE.finalStage()).get("JAVA_OPTS")
                .replace(imageCache(), cache.toString()).split("\\s+")));
        SettingsFiles.write(settings, "app.yaml", "settings:\n  app.limit:\n    value: 5\n");

        List<String> otherFlags = new ArrayList<>(imageOpts);
        otherFlags.add("-XX:+UseCompactObjectHeaders");
        try (SidecarProcess sidecar = startOnJdk25(bin, otherFlags, SidecarProcess.jar())) {
            assertThat(sidecar.get("/v1/settings/app.limit/value").body()).isEqualTo("5");
            assertThat(sidecar.output()).anyMatch(l -> l.contains("[warning][aot]") && l.contains("Unable to use AOT cache"));
            assertThat(sidecar.output()).anyMatch(l -> l.contains("UseCompactObjectHeaders"));
        }

        Path otherJar = Files.copy(SidecarProcess.jar(), archiveDir.resolve("crossfade-sidecar.jar"));
        try (SidecarProcess sidecar = startOnJdk25(bin, imageOpts, otherJar)) {
            assertThat(sidecar.get("/v1/settings/app.limit/value").body()).isEqualTo("5");
            assertThat(sidecar.output()).anyMatch(l -> l.contains("[warning][aot]") && l.contains(otherJar.toString()));
            assertThat(sidecar.output()).anyMatch(l -> l.contains("shared class paths mismatch"));
        }

        // and with the flags and the jar it was recorded for, the JVM uses it (AOTMode=on: or refuses to start)
        List<String> same = new ArrayList<>(imageOpts);
        same.add("-XX:AOTMode=on");
        try (SidecarProcess sidecar = startOnJdk25(bin, same, SidecarProcess.jar())) {
            assertThat(sidecar.get("/v1/settings/app.limit/value").body()).isEqualTo("5");
            assertThat(sidecar.output()).noneMatch(l -> l.contains("[aot]"));
        }
    }

    private SidecarProcess startOnJdk25(String bin, List<String> jvmOptions, Path jar) {
        List<String> command = new ArrayList<>();
        command.add(bin + "/java");
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString(), "serve", "--settings", settings.toString(), "--state",
                state.toString(), "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"));
        return SidecarProcess.startCommand(command, Map.of(), settings, state);
    }

    /** An archive the JVM cannot use (another jar, a missing file) costs start-up time, never a start. */
    @Test
    void aStaleArchiveIsIgnoredAndTheSidecarStillStarts() throws Exception {
        Path archive = archiveDir.resolve("crossfade.jsa");
        Files.writeString(archive, "not an archive");
        SettingsFiles.write(settings, "app.yaml", "settings:\n  app.limit:\n    value: 5\n");
        try (SidecarProcess sidecar = SidecarProcess.start(settings, state,
                List.of("-XX:SharedArchiveFile=" + archive), Map.of())) {
            assertThat(sidecar.get("/v1/settings/app.limit/value").body()).isEqualTo("5");
        }
    }

    /** The image's training RUN, through sh as Docker runs it, with its paths swapped for this checkout's. */
    private static SidecarProcess.Result runTraining(Path archive) throws Exception {
        String command = trainingRun()
                .replace("/opt/crossfade/train-cds-archive", ROOT.resolve("bin/train-cds-archive").toString())
                .replace(jarCopy()[1], SidecarProcess.jar().toString())
                .replace(imageCache(), archive.toString())
                .replace("/etc/crossfade/settings", ROOT.resolve("examples/settings").toString());
        // the image's JRE: a JDK 25 (the build and the other tests run on 17)
        String javaHome = Path.of(jdk25Bin()).getParent().toString();
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", javaHome);
        pb.environment().put("PATH", javaHome + "/bin:" + System.getenv("PATH"));
        pb.environment().put("JAVA_OPTS", env(DOCKERFILE.finalStage()).get("JAVA_OPTS"));
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return new SidecarProcess.Result(p.exitValue(), output);
    }

    @Test
    void theBaseImagesArePinnedToExactReleases() {
        List<String> froms = new ArrayList<>();
        for (String line : DOCKERFILE_LINES) {
            if (line.startsWith("FROM ")) {
                froms.add(line.substring(5).split("\\s+")[0]);
            }
        }
        assertThat(froms).hasSize(2).allSatisfy(image ->
                assertThat(image).as("an exact release, not a moving tag").matches("[a-z0-9./-]+:\\d+\\.\\d+\\.\\d+_\\d+-[a-z]+(-[a-z]+)?"));
        // the build runs on the JDK the tests build with (17: Maven applies dependency POMs' JDK-activated
        // profiles with the JDK it runs on, and vertx-core's for 21+ adds Jackson 3 to the jar); the
        // runtime is a JRE of 25 or newer, for its AOT cache
        Matcher release = Pattern.compile("<maven.compiler.release>(\\d+)<").matcher(readRoot("pom.xml"));
        assertThat(release.find()).as("maven.compiler.release in pom.xml").isTrue();
        assertThat(froms.get(0)).contains(":" + release.group(1) + ".").contains("-jdk-");
        assertThat(Integer.parseInt(froms.get(1).replaceAll("^[^:]+:(\\d+)\\..*$", "$1"))).isGreaterThanOrEqualTo(25);
        assertThat(froms.get(1)).contains("-jre-");
    }

    private static String readRoot(String file) {
        try {
            return Files.readString(ROOT.resolve(file));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The HEALTHCHECK's command, run as Docker runs it (sh -c), against a real sidecar. */
    @Test
    void theHealthCheckAsksTheOpsPortThatCrossfadeOpsListenNames() throws Exception {
        String healthcheck = DOCKERFILE.finalStage().last("HEALTHCHECK").orElseThrow().arguments();
        String command = healthcheck.substring(healthcheck.indexOf("CMD ") + 4).strip();
        SettingsFiles.write(settings, "app.yaml", "settings:\n  app.limit:\n    value: 5\n");
        try (SidecarProcess sidecar = SidecarProcess.start(settings, state)) {
            int port = sidecar.opsUri().getPort();
            assertThat(healthCheck(command, "0.0.0.0:" + port)).as("wildcard host, asked on loopback").isZero();
            assertThat(healthCheck(command, "127.0.0.1:" + port)).isZero();
            try (java.net.ServerSocket silent = new java.net.ServerSocket(0)) {
                int elsewhere = silent.getLocalPort();
                silent.close();
                assertThat(healthCheck(command, "127.0.0.1:" + elsewhere)).as("nothing listens there").isNotZero();
            }
        }
    }

    private static int healthCheck(String command, String opsListen) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true);
        pb.environment().put("CROSSFADE_OPS_LISTEN", opsListen);
        Process p = pb.start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    private static String firstOnNewSide() {
        for (int i = 0; ; i++) {
            if (Bucketing.variant("app.limit", "checkout-7d9f-" + i, 50_000) == Variant.NEW) {
                return "checkout-7d9f-" + i;
            }
        }
    }

    private static String firstOnOldSide() {
        for (int i = 0; ; i++) {
            if (Bucketing.variant("app.limit", "user-" + i, 50_000) == Variant.OLD) {
                return "user-" + i;
            }
        }
    }

    /** Whether a {@code .dockerignore} pattern excludes {@code source} or a folder above it. */
    private static boolean dockerIgnored(String source) throws Exception {
        Path ignore = ROOT.resolve(".dockerignore");
        if (!Files.exists(ignore)) {
            return false;
        }
        for (String line : Files.readAllLines(ignore)) {
            String pattern = line.strip();
            if (pattern.isEmpty() || pattern.startsWith("#") || pattern.startsWith("!")) {
                continue;
            }
            var matcher = FileSystems.getDefault().getPathMatcher("glob:" + (pattern.endsWith("/")
                    ? pattern.substring(0, pattern.length() - 1) : pattern));
            for (Path p = Path.of(source); p != null; p = p.getParent()) {
                if (matcher.matches(p)) {
                    return true;
                }
            }
        }
        return false;
    }
}

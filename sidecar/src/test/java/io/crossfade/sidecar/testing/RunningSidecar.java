package io.crossfade.sidecar.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real sidecar shared by the tests of a class: the jar started on port 0 with its own temporary
 * settings and state directories, before the first test and stopped (directories removed) after
 * the last. Register it on a static field and talk to it as to a {@link SidecarProcess}:
 * <pre>{@code
 * @RegisterExtension
 * static final RunningSidecar sidecar = RunningSidecar.withFile("app.yaml", "settings: ...")
 *         .args("--instance-id", "pod-1");
 *
 * @Test
 * void servesTheValue() {
 *     assertThat(sidecar.get("/v1/settings/app.limit/value").body()).isEqualTo("5");
 * }
 * }</pre>
 * Tests sharing it must not depend on each other's changes: each owns its keys or files.
 */
public final class RunningSidecar implements BeforeAllCallback, AfterAllCallback {

    private final List<Path> directoriesToCopy = new ArrayList<>();
    private final Map<String, String> files = new LinkedHashMap<>();
    private final List<String> args = new ArrayList<>();
    private OptionalInt descriptorLimit = OptionalInt.empty();
    private Path settings;
    private Path state;
    private SidecarProcess process;

    private RunningSidecar() {
    }

    /** A sidecar serving one settings file {@code name} with {@code content}. */
    public static RunningSidecar withFile(String name, String content) {
        return new RunningSidecar().andFile(name, content);
    }

    /**
     * A sidecar serving a copy of every regular file of {@code directory} (not recursive), e.g. the
     * project's {@code examples/settings}: a copy, so that a test may change its files.
     */
    public static RunningSidecar withFilesOf(Path directory) {
        RunningSidecar sidecar = new RunningSidecar();
        sidecar.directoriesToCopy.add(directory);
        return sidecar;
    }

    /** Adds a settings file written before the start. */
    public RunningSidecar andFile(String name, String content) {
        files.put(name, content);
        return this;
    }

    /** Adds command-line arguments of {@code serve} (beyond settings, state and the port-0 listeners). */
    public RunningSidecar args(String... more) {
        args.addAll(List.of(more));
        return this;
    }

    /** Runs it under {@link SidecarProcess#startWithDescriptorLimit}: at most {@code limit} open descriptors. */
    public RunningSidecar underDescriptorLimit(int limit) {
        descriptorLimit = OptionalInt.of(limit);
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        settings = Files.createTempDirectory("crossfade-settings-");
        state = Files.createTempDirectory("crossfade-state-");
        directoriesToCopy.forEach(directory -> SettingsFiles.copyDirectory(directory, settings));
        files.forEach((name, content) -> SettingsFiles.write(settings, name, content));
        String[] serveArgs = args.toArray(String[]::new);
        process = descriptorLimit.isPresent()
                ? SidecarProcess.startWithDescriptorLimit(descriptorLimit.getAsInt(), settings, state, serveArgs)
                : SidecarProcess.start(settings, state, serveArgs);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            if (process != null) {
                process.close();
            }
        } finally {
            deleteTree(settings);
            deleteTree(state);
        }
    }

    /** Removes {@code dir} and all below it, if it exists; also for the other extensions of this package. */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The running process, for what this class does not pass on. */
    public SidecarProcess process() {
        if (process == null) {
            throw new IllegalStateException("the sidecar is started before the first test of the class that"
                    + " registers it on a static field; it is not running here");
        }
        return process;
    }

    /** The settings directory it watches. */
    public Path settingsDir() {
        return process().settingsDir();
    }

    /** Its state directory. */
    public Path stateDir() {
        return process().stateDir();
    }

    /** Base URI of the read listener. */
    public URI readUri() {
        return process().readUri();
    }

    /** Base URI of the ops listener. */
    public URI opsUri() {
        return process().opsUri();
    }

    /** The admin token it generated. */
    public String adminToken() {
        return process().adminToken();
    }

    /** Everything it printed so far. */
    public List<String> output() {
        return process().output();
    }

    /** GET on the read listener. */
    public HttpResponse<String> get(String pathAndQuery) {
        return process().get(pathAndQuery);
    }

    /** GET on the ops listener. */
    public HttpResponse<String> getOps(String pathAndQuery) {
        return process().getOps(pathAndQuery);
    }

    /** POST of a JSON body on the read listener. */
    public HttpResponse<String> post(String pathAndQuery, String json) {
        return process().post(pathAndQuery, json);
    }

    /** GET on the admin API with the generated token. */
    public HttpResponse<String> adminGet(String pathAndQuery) {
        return process().adminGet(pathAndQuery);
    }

    /** POST on the admin API with the generated token. */
    public HttpResponse<String> adminPost(String path, String json) {
        return process().adminPost(path, json);
    }

    /** True while the process runs. */
    public boolean isAlive() {
        return process().isAlive();
    }
}

package io.crossfade.sidecar.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real sidecar jar as a child process, for integration tests: started on port 0 for both
 * listeners, with the bound addresses read from its first log lines, and helpers to talk HTTP to it.
 * Close it (try-with-resources or {@code @AfterEach}) to stop it.
 */
public final class SidecarProcess implements AutoCloseable {

    // Addresses end at whitespace or, in a JSON log line, at the closing quote of the message.
    private static final Pattern LISTENING = Pattern.compile("listening read=([^\\s\"]+) ops=([^\\s\"]+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final List<String> output;
    private final URI read;
    private final URI ops;
    private final Path settingsDir;
    private final Path stateDir;

    private SidecarProcess(Process process, URI read, URI ops, Path settingsDir, Path stateDir, List<String> lines) {
        this.process = process;
        this.read = read;
        this.ops = ops;
        this.settingsDir = settingsDir;
        this.stateDir = stateDir;
        this.output = lines; // filled by the output follower
    }

    /** The sidecar jar under test: system property {@code crossfade.jar}, else the module's build output. */
    public static Path jar() {
        String configured = System.getProperty("crossfade.jar");
        Path jar = configured != null ? Path.of(configured) : Path.of("target", "crossfade-sidecar.jar");
        if (!Files.isRegularFile(jar)) {
            jar = Path.of("..", "sidecar", "target", "crossfade-sidecar.jar");
        }
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("sidecar jar not found (" + jar.toAbsolutePath()
                    + "); build it with ./mvnw package first");
        }
        return jar.toAbsolutePath();
    }

    /**
     * Starts {@code java -jar crossfade-sidecar.jar serve} on port 0 with the given directories and
     * extra arguments, and waits (up to 120 s: a loaded machine starts a JVM slowly) for it to report its addresses.
     *
     * @throws IllegalStateException with the process output when it exits or never reports
     */
    public static SidecarProcess start(Path settingsDir, Path stateDir, String... extraArgs) {
        return start(settingsDir, stateDir, Map.of(), extraArgs);
    }

    /** As {@link #start(Path, Path, String...)}, with extra environment variables. */
    public static SidecarProcess start(Path settingsDir, Path stateDir, Map<String, String> env, String... extraArgs) {
        return start(settingsDir, stateDir, 0, env, extraArgs);
    }

    /**
     * As {@link #start(Path, Path, Map, String...)}, with the read listener on {@code readPort} (0: any
     * free port), e.g. to bring a sidecar back on the address its clients know.
     */
    public static SidecarProcess start(Path settingsDir, Path stateDir, int readPort, Map<String, String> env,
            String... extraArgs) {
        SidecarProcess started = launch(settingsDir, stateDir, readPort, List.of(), env, extraArgs);
        started.env = Map.copyOf(env);
        started.extraArgs = extraArgs.clone();
        return started;
    }

    /**
     * Stops this process (SIGTERM) if it still runs, and starts a new one with the same directories,
     * environment and arguments, its read listener on the same port.
     */
    public SidecarProcess restart() {
        close();
        return start(settingsDir, stateDir, read.getPort(), env, extraArgs);
    }

    private Map<String, String> env = Map.of();
    private String[] extraArgs = new String[0];

    /**
     * As {@link #start(Path, Path, Map, String...)}, with JVM options (e.g. the Dockerfile's
     * {@code JAVA_OPTS}) placed before {@code -jar}; they come after this harness's own
     * {@code -Xmx256m}, so they may override it.
     */
    public static SidecarProcess start(Path settingsDir, Path stateDir, List<String> jvmOptions, Map<String, String> env,
            String... extraArgs) {
        return launch(settingsDir, stateDir, 0, jvmOptions, env, extraArgs);
    }

    /**
     * As {@link #start(Path, Path, String...)}, run under {@code prlimit --nofile=LIMIT:LIMIT}: the process
     * may hold at most {@code descriptorLimit} open files and sockets, to show what it does when a crowd of
     * connections would take them all.
     */
    public static SidecarProcess startWithDescriptorLimit(int descriptorLimit, Path settingsDir, Path stateDir,
            String... extraArgs) {
        List<String> command = new ArrayList<>(List.of("prlimit",
                "--nofile=" + descriptorLimit + ":" + descriptorLimit, "--"));
        command.addAll(serveCommand(settingsDir, stateDir, 0, List.of(), extraArgs));
        return startCommand(command, Map.of(), settingsDir, stateDir);
    }

    private static SidecarProcess launch(Path settingsDir, Path stateDir, int readPort, List<String> jvmOptions,
            Map<String, String> env, String... extraArgs) {
        return startCommand(serveCommand(settingsDir, stateDir, readPort, jvmOptions, extraArgs), env, settingsDir,
                stateDir);
    }

    /** {@code java … -jar crossfade-sidecar.jar serve} with both listeners on loopback, as every start runs it. */
    private static List<String> serveCommand(Path settingsDir, Path stateDir, int readPort, List<String> jvmOptions,
            String... extraArgs) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar().toString());
        command.add("serve");
        command.add("--settings");
        command.add(settingsDir.toString());
        command.add("--state");
        command.add(stateDir.toString());
        command.add("--listen");
        command.add("127.0.0.1:" + readPort);
        command.add("--ops-listen");
        command.add("127.0.0.1:0");
        command.addAll(List.of(extraArgs));
        return command;
    }

    /**
     * Starts any command that runs the sidecar (e.g. the image's entrypoint through {@code sh}) and
     * waits (up to 120 s: a loaded machine starts a JVM slowly) for it to report its addresses. {@code HOSTNAME} is removed from the
     * environment unless {@code env} sets it.
     *
     * @param settingsDir and {@code stateDir}: what the command serves, for {@link #settingsDir()} and
     *     {@link #stateDir()}
     * @throws IllegalStateException with the process output when it exits or never reports
     */
    public static SidecarProcess startCommand(List<String> command, Map<String, String> env, Path settingsDir,
            Path stateDir) {
        // The output goes to a file, not a pipe: a pipe's reader thread races the JDK's own draining of
        // it when the process exits ("Stream closed"), losing exactly the last lines, such as the one
        // a graceful stop logs.
        Path log;
        try {
            log = Files.createTempFile("crossfade-sidecar-", ".log");
            log.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("HOSTNAME");
        pb.environment().putAll(env);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> lines = new CopyOnWriteArrayList<>();
        follow(process, log, lines);
        // generous: on a loaded 2-core machine a JVM start with the shaded jar has taken over 30 s
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        int looked = 0;
        while (System.nanoTime() < deadline) {
            for (; looked < lines.size(); looked++) {
                Matcher m = LISTENING.matcher(lines.get(looked));
                if (m.find()) {
                    SidecarProcess sidecar = new SidecarProcess(process, URI.create("http://" + m.group(1)),
                            URI.create("http://" + m.group(2)), settingsDir, stateDir, lines);
                    sidecar.awaitServing();
                    if (!process.isAlive()) {
                        String exit = exitCodeOf(process);
                        throw new IllegalStateException("sidecar exited during start-up; exit " + exit + ", output:\n"
                                + String.join("\n", sidecar.output()));
                    }
                    return sidecar;
                }
            }
            if (!process.isAlive() && looked == lines.size()) {
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        process.destroyForcibly();
        throw new IllegalStateException("sidecar did not start; exit " + exitCodeOf(process) + ", output:\n"
                + String.join("\n", lines));
    }

    /**
     * Follows the process's output file into {@code lines} on a daemon thread, a line at a time, until
     * the process has exited and the file is read to its end.
     */
    private static void follow(Process process, Path log, List<String> lines) {
        Thread t = new Thread(() -> {
            try (java.io.InputStream in = Files.newInputStream(log)) {
                java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
                byte[] buffer = new byte[8192];
                while (true) {
                    boolean exited = !process.isAlive(); // before reading: what follows is then complete
                    int n = in.read(buffer);
                    if (n > 0) {
                        for (int i = 0; i < n; i++) {
                            if (buffer[i] == '\n') {
                                lines.add(line.toString(StandardCharsets.UTF_8));
                                line.reset();
                            } else {
                                line.write(buffer[i]);
                            }
                        }
                    } else if (exited) {
                        if (line.size() > 0) {
                            lines.add(line.toString(StandardCharsets.UTF_8));
                        }
                        return;
                    } else {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                    }
                }
            } catch (IOException e) {
                lines.add("(test harness: reading the output failed: " + e + ")");
            }
        }, "sidecar-output");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Runs the jar with {@code args} to completion (e.g. a start that must fail, or {@code ctl}).
     *
     * @return exit code and combined output
     */
    public static Result run(Duration timeout, String... args) {
        return run(timeout, Map.of(), args);
    }

    /** As {@link #run(Duration, String...)}, with extra environment variables. */
    public static Result run(Duration timeout, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Short-lived runs: start fast rather than run fast (as bin/crossfade does for ctl).
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-XX:+UseSerialGC");
        command.add("-jar");
        command.add(jar().toString());
        command.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().keySet().removeIf(name -> name.startsWith("CROSSFADE_"));
            pb.environment().putAll(env);
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + command);
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Exit code and output of a finished run. */
    public record Result(int exitCode, String output) {
    }

    private static String exitCodeOf(Process p) {
        try {
            return p.waitFor(2, TimeUnit.SECONDS) ? String.valueOf(p.exitValue()) : "(still running)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    /** Base URI of the read listener, e.g. {@code http://127.0.0.1:40123}. */
    public URI readUri() {
        return read;
    }

    /** Base URI of the ops listener. */
    public URI opsUri() {
        return ops;
    }

    public Path settingsDir() {
        return settingsDir;
    }

    public Path stateDir() {
        return stateDir;
    }

    /** Everything the process printed so far. */
    public List<String> output() {
        return List.copyOf(output);
    }

    /** GET on the read listener. */
    public HttpResponse<String> get(String pathAndQuery) {
        return send(HttpRequest.newBuilder(read.resolve(pathAndQuery)).GET().build());
    }

    /** GET on the ops listener. */
    public HttpResponse<String> getOps(String pathAndQuery) {
        return send(HttpRequest.newBuilder(ops.resolve(pathAndQuery)).GET().build());
    }

    /** POST of a JSON body on the read listener. */
    public HttpResponse<String> post(String pathAndQuery, String json) {
        return send(HttpRequest.newBuilder(read.resolve(pathAndQuery)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    /** Sends any request (build it against {@link #readUri()} or {@link #opsUri()}). */
    public static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The admin token the sidecar generated into its state directory. */
    public String adminToken() {
        try {
            return Files.readString(stateDir.resolve("admin.token"), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** GET on the admin API with the generated token. */
    public HttpResponse<String> adminGet(String pathAndQuery) {
        return send(HttpRequest.newBuilder(ops.resolve(pathAndQuery))
                .header("Authorization", "Bearer " + adminToken()).GET().build());
    }

    /** POST of {@code json} on the admin API with the generated token. */
    public HttpResponse<String> adminPost(String path, String json) {
        return send(HttpRequest.newBuilder(ops.resolve(path)).header("Authorization", "Bearer " + adminToken())
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    /**
     * Runs {@code crossfade ctl ARGS --ops <this sidecar> --state <its state dir>} as a separate
     * process and returns its exit code and output.
     */
    public Result ctl(String... args) {
        List<String> all = new ArrayList<>();
        all.add("ctl");
        all.addAll(List.of(args));
        all.add("--ops");
        all.add(ops.toString());
        all.add("--state");
        all.add(stateDir.toString());
        return run(Duration.ofSeconds(60), all.toArray(String[]::new));
    }

    /** True while the process runs. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** {@code kill -9}: no shutdown hooks, no flushing. Waits for the process to be gone. */
    public void kill9() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The listening line comes before the endpoints are ready (requests that arrive meanwhile are held);
     * wait until they answer, so that what start-up writes (e.g. the admin token) is there.
     */
    private void awaitServing() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (process.isAlive() && System.nanoTime() < deadline) {
            try {
                HTTP.send(HttpRequest.newBuilder(ops.resolve("/health")).timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException e) {
                // not answering yet, or gone: look again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The process id. */
    public long pid() {
        return process.pid();
    }

    /** SIGTERM and wait; returns the exit code. */
    public int stop() {
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            stop();
        }
    }
}

package io.crossfade.sidecar.proxy;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real app of {@code examples/fastapi/} run by Debian's {@code /usr/bin/python3 -m uvicorn} on a
 * free port (the {@code python3} on a developer's PATH may lack FastAPI), with this checkout's
 * {@code crossfade} package ({@code clients/python/src}) on its {@code PYTHONPATH}.
 */
public final class PythonApp implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final URI uri;
    private final Path log;

    private PythonApp(Process process, URI uri, Path log) {
        this.process = process;
        this.uri = uri;
        this.log = log;
    }

    /** The example directory, from the sidecar module or the repository root. */
    public static Path exampleDir() {
        for (Path candidate : List.of(Path.of("..", "examples", "fastapi"), Path.of("examples", "fastapi"))) {
            if (Files.isDirectory(candidate)) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("examples/fastapi not found from " + Path.of("").toAbsolutePath());
    }

    /** The {@code crossfade} package's sources, which the direct form imports. */
    static Path clientSources() {
        return exampleDir().resolve("../../clients/python/src").normalize();
    }

    /** Starts {@code module:app} and waits (up to 60 s) until its {@code /health} answers. */
    public static PythonApp start(String module, Map<String, String> env, Path workDir) {
        return start(module, exampleDir(), "/health", env, workDir);
    }

    /**
     * Starts {@code module:app} from {@code appDir} and waits (up to 60 s) until {@code readyPath}
     * answers 200 (e.g. an app of the README's, which has no {@code /health}).
     */
    public static PythonApp start(String module, Path appDir, String readyPath, Map<String, String> env,
            Path workDir) {
        int port = freePort();
        Path log = workDir.resolve(module + ".log");
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", "-m", "uvicorn", module + ":app", "--app-dir",
                appDir.toString(), "--host", "127.0.0.1", "--port", String.valueOf(port), "--log-level", "warning")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PYTHONPATH", clientSources().toString());
        pb.environment().putAll(env);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PythonApp app = new PythonApp(process, URI.create("http://127.0.0.1:" + port), log);
        try {
            await("uvicorn " + module + " answering " + readyPath).atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200)).until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("uvicorn exited " + process.exitValue() + ":\n" + app.output());
                        }
                        try {
                            return HTTP.send(HttpRequest.newBuilder(app.uri.resolve(readyPath)).build(),
                                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                        } catch (IOException e) {
                            return false;
                        }
                    });
        } catch (RuntimeException e) {
            app.close();
            throw e;
        }
        return app;
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI uri() {
        return uri;
    }

    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}

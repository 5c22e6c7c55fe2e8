package io.crossfade.sidecar.deploy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus ({@code /usr/bin/prometheus}, Debian's {@code prometheus} package) in a temporary
 * directory, scraping one target with a short interval and evaluating rule files, for integration
 * tests. Prometheus cannot listen on port 0, so a free port is picked first (a small race with other
 * processes, retried by the caller's test run rather than here).
 */
final class PrometheusProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final URI base;
    private final Path log;

    private PrometheusProcess(Process process, URI base, Path log) {
        this.process = process;
        this.base = base;
        this.log = log;
    }

    /** Whether this machine has a Prometheus to run. */
    static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/prometheus"));
    }

    /**
     * Starts Prometheus in {@code dir}, scraping {@code target} ({@code host:port}, path {@code /metrics})
     * as job {@code crossfade} every second, with {@code ruleFiles} evaluated every second, and waits
     * until it is ready.
     */
    static PrometheusProcess start(Path dir, String target, List<Path> ruleFiles) throws IOException {
        Files.createDirectories(dir);
        StringBuilder rules = new StringBuilder();
        for (Path f : ruleFiles) {
            rules.append("  - ").append(f.toAbsolutePath()).append('\n');
        }
        Path config = Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files:
                %sscrape_configs:
                  - job_name: crossfade
                    static_configs:
                      - targets: ['%s']
                """.formatted(rules, target));
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Path log = dir.resolve("prometheus.log");
        Process process = new ProcessBuilder("/usr/bin/prometheus", "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--web.enable-lifecycle")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PrometheusProcess p = new PrometheusProcess(process, URI.create("http://127.0.0.1:" + port), log);
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("prometheus exited: " + p.log());
                        }
                        return p.get("/-/ready").statusCode() == 200;
                    });
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    /** GET on the HTTP API; a refused connection is a 0 status. */
    HttpResponse<String> get(String pathAndQuery) {
        try {
            return HTTP.send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return new Refused(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code /api/v1/query?query=…}'s body. */
    String query(String promql) {
        return get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)).body();
    }

    /** What Prometheus logged, for failure messages. */
    String log() {
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
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A response standing for a refused connection. */
    private record Refused(IOException cause) implements HttpResponse<String> {
        @Override
        public int statusCode() {
            return 0;
        }

        @Override
        public HttpRequest request() {
            return null;
        }

        @Override
        public java.util.Optional<HttpResponse<String>> previousResponse() {
            return java.util.Optional.empty();
        }

        @Override
        public java.net.http.HttpHeaders headers() {
            return java.net.http.HttpHeaders.of(java.util.Map.of(), (a, b) -> true);
        }

        @Override
        public String body() {
            return "connection failed: " + cause.getMessage();
        }

        @Override
        public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
            return java.util.Optional.empty();
        }

        @Override
        public URI uri() {
            return null;
        }

        @Override
        public HttpClient.Version version() {
            return HttpClient.Version.HTTP_1_1;
        }
    }
}

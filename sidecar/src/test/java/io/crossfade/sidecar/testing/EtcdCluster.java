package io.crossfade.sidecar.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real etcd ({@code /usr/bin/etcd}, Debian's etcd-server) of one or three members, started on free
 * loopback ports in a temporary directory, for tests of the fleet. Members can be killed and
 * started again on the same ports and data.
 */
public final class EtcdCluster implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path dir;
    private final int[] clientPorts;
    private final int[] peerPorts;
    private final Process[] members;
    private final String initialCluster;

    private EtcdCluster(Path dir, int size) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.clientPorts = new int[size];
        this.peerPorts = new int[size];
        this.members = new Process[size];
        for (int i = 0; i < size; i++) {
            clientPorts[i] = freePort();
            peerPorts[i] = freePort();
        }
        List<String> peers = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            peers.add(name(i) + "=http://127.0.0.1:" + peerPorts[i]);
        }
        this.initialCluster = String.join(",", peers);
    }

    /** Starts {@code size} members (1 or 3) under {@code dir} and waits until the cluster answers. */
    public static EtcdCluster start(Path dir, int size) throws IOException {
        EtcdCluster cluster = new EtcdCluster(dir, size);
        try {
            for (int i = 0; i < size; i++) {
                cluster.startMember(i);
            }
            cluster.awaitHealthy();
            return cluster;
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** Whether this machine has an etcd to run. */
    public static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/etcd"));
    }

    private static String name(int i) {
        return "m" + i;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Starts member {@code i} (again) on its ports and data directory. */
    public void startMember(int i) throws IOException {
        Path data = dir.resolve(name(i));
        boolean fresh = !Files.exists(data);
        List<String> command = List.of("/usr/bin/etcd", "--name", name(i), "--data-dir", data.toString(),
                "--listen-client-urls", "http://127.0.0.1:" + clientPorts[i],
                "--advertise-client-urls", "http://127.0.0.1:" + clientPorts[i],
                "--listen-peer-urls", "http://127.0.0.1:" + peerPorts[i],
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPorts[i],
                "--initial-cluster", initialCluster,
                "--initial-cluster-state", fresh ? "new" : "existing",
                "--initial-cluster-token", "crossfade-test",
                "--heartbeat-interval", "100", "--election-timeout", "1000",
                "--logger", "zap", "--log-outputs", dir.resolve(name(i) + ".log").toString());
        members[i] = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name(i) + ".out").toFile())).start();
    }

    /**
     * Kills member {@code i}, removes its data directory and starts it again, empty, on the same
     * address: a lost volume, a botched restore, a recreated etcd pod. A single-member cluster only
     * (a member of a larger one would rejoin its peers and get the data back).
     */
    public void wipe(int i) throws IOException {
        kill(i);
        RunningSidecar.deleteTree(dir.resolve(name(i)));
        startMember(i);
        awaitHealthy();
    }

    /**
     * Stops member {@code i}, copies its data directory to {@code backup} and starts it again: a
     * backup taken while etcd is down, consistent on disk.
     */
    public void backUp(int i, Path backup) throws IOException {
        kill(i);
        copyTree(dir.resolve(name(i)), backup);
        startMember(i);
        awaitHealthy();
    }

    /** Kills member {@code i}, replaces its data directory with {@code backup} and starts it again: a restore. */
    public void restore(int i, Path backup) throws IOException {
        kill(i);
        RunningSidecar.deleteTree(dir.resolve(name(i)));
        copyTree(backup, dir.resolve(name(i)));
        startMember(i);
        awaitHealthy();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Kills member {@code i} at once (SIGKILL). */
    public void kill(int i) {
        Process p = members[i];
        if (p != null) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            members[i] = null;
        }
    }

    /** Waits until every running member answers and the cluster has a leader. */
    public void awaitHealthy() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            for (int i = 0; i < members.length; i++) {
                if (members[i] == null) {
                    continue;
                }
                HttpResponse<String> r = post(i, "/v3/kv/range", "{\"key\":\"" + b64("/health-probe") + "\"}");
                if (r.statusCode() != 200) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Every member's client URL, comma-separated, for {@code --etcd-endpoints}. */
    public String endpoints() {
        return java.util.Arrays.stream(clientPorts).mapToObj(p -> "http://127.0.0.1:" + p)
                .collect(Collectors.joining(","));
    }

    /** Member {@code i}'s client URL. */
    public String endpoint(int i) {
        return "http://127.0.0.1:" + clientPorts[i];
    }

    /** POSTs {@code json} to the gateway path of the first running member. */
    public HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        for (int i = 0; i < members.length; i++) {
            if (members[i] != null) {
                return post(i, path, json);
            }
        }
        throw new IllegalStateException("no etcd member is running");
    }

    private HttpResponse<String> post(int i, String path, String json) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(endpoint(i) + path)).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The values of every key under {@code prefix}, in key order, as text. */
    public List<String> values(String prefix) throws IOException, InterruptedException {
        String end = prefix.substring(0, prefix.length() - 1) + (char) (prefix.charAt(prefix.length() - 1) + 1);
        HttpResponse<String> r = post("/v3/kv/range", "{\"key\":\"" + b64(prefix) + "\",\"range_end\":\"" + b64(end)
                + "\"}");
        var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
        List<String> out = new ArrayList<>();
        for (var kv : doc.path("kvs")) {
            out.add(new String(Base64.getDecoder().decode(kv.path("value").asText()), StandardCharsets.UTF_8));
        }
        return out;
    }

    /** The cluster's current revision. */
    public long revision() throws IOException, InterruptedException {
        HttpResponse<String> r = post("/v3/kv/range", "{\"key\":\"" + b64("/health-probe") + "\"}");
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("header").path("revision")
                .asLong();
    }

    /** Compacts the history up to {@code revision}: watches from before it are cancelled. */
    public void compact(long revision) throws IOException, InterruptedException {
        post("/v3/kv/compaction", "{\"revision\":\"" + revision + "\",\"physical\":true}");
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        for (int i = 0; i < members.length; i++) {
            kill(i);
        }
    }
}

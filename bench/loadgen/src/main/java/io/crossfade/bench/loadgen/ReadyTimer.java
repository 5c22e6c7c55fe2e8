package io.crossfade.bench.loadgen;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Time from process start to the first 200 on a readiness URL. The timer runs in an already warm
 * JVM that starts the process itself, so the figure contains the process's own start-up and nothing
 * of the script around it. Polls every millisecond (connection refused comes back at once on
 * loopback); the process keeps running afterwards and its pid is printed.
 */
final class ReadyTimer {

    private final URI url;
    private final double timeoutSeconds;
    private final File log;
    private final List<String> command;

    private ReadyTimer(URI url, double timeoutSeconds, File log, List<String> command) {
        this.url = url;
        this.timeoutSeconds = timeoutSeconds;
        this.log = log;
        this.command = command;
    }

    static ReadyTimer parse(String[] args) {
        int dashes = Arrays.asList(args).indexOf("--");
        if (dashes < 0 || dashes == args.length - 1) {
            throw LoadGenerator.usage("ready needs -- COMMAND ARGS...");
        }
        URI url = null;
        double timeout = 60;
        File log = null;
        for (String[] o : LoadGenerator.options(Arrays.copyOfRange(args, 0, dashes))) {
            switch (o[0]) {
                case "url" -> url = URI.create(o[1]);
                case "timeout" -> timeout = Double.parseDouble(o[1]);
                case "log" -> log = new File(o[1]);
                default -> throw LoadGenerator.usage("unknown option --" + o[0]);
            }
        }
        if (url == null) {
            throw LoadGenerator.usage("--url is required");
        }
        return new ReadyTimer(url, timeout, log,
                new ArrayList<>(Arrays.asList(args).subList(dashes + 1, args.length)));
    }

    String run() throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(new File("/dev/null"));
        builder.redirectOutput(log == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.appendTo(log));
        InetSocketAddress address = new InetSocketAddress(url.getHost(), url.getPort());
        byte[] request = ("GET " + url.getRawPath() + " HTTP/1.1\r\nHost: " + url.getHost()
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        long started = System.nanoTime();
        Process process = builder.start();
        long deadline = started + (long) (timeoutSeconds * 1e9);
        long firstConnect = -1;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the process exited with " + process.exitValue() + " before it was ready");
            }
            try (Socket socket = new Socket()) {
                socket.connect(address, 1000);
                if (firstConnect < 0) {
                    firstConnect = System.nanoTime();
                }
                socket.setSoTimeout(1000);
                OutputStream out = socket.getOutputStream();
                out.write(request);
                out.flush();
                if (statusIs200(socket.getInputStream())) {
                    long ready = System.nanoTime();
                    return String.format(Locale.ROOT, "ready_ms=%.1f listening_ms=%.1f pid=%d",
                            (ready - started) / 1e6, (firstConnect - started) / 1e6, process.pid());
                }
            } catch (ConnectException notYet) {
                // not listening yet
            } catch (IOException e) {
                // listening but not answering yet (reset, timeout): poll again
            }
            TimeUnit.MILLISECONDS.sleep(1);
        }
        process.destroy();
        throw new IllegalStateException("no 200 from " + url + " within " + timeoutSeconds + " s");
    }

    private static boolean statusIs200(InputStream in) throws IOException {
        byte[] line = new byte[12];
        int n = 0;
        while (n < line.length) {
            int r = in.read(line, n, line.length - n);
            if (r < 0) {
                return false;
            }
            n += r;
        }
        return new String(line, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200");
    }
}

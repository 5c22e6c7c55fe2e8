package io.crossfade.bench.loadgen;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One load run over keep-alive HTTP/1.1 connections (no pipelining): open-loop at a fixed rate, or
 * closed-loop for saturation. Every answer is checked for status 200.
 *
 * <p>With several targets, each gets its own connections and its own figures, all driven at once by
 * the same threads in the same seconds: a paired comparison, in which a stall of the generator or the
 * machine is charged to every target alike instead of to whichever ran at the time.
 */
final class LoadRun {

    private final boolean openLoop;
    private final List<Target> targets;
    private final String[] paths;
    private final int connections;
    private final int threads;
    private final double rate;
    private final double warmupSeconds;
    private final double durationSeconds;

    private volatile boolean measuring;
    private volatile boolean stopped;
    private volatile String failure;

    private LoadRun(boolean openLoop, List<String> targets, String[] paths, int connections, int threads, double rate,
            double warmupSeconds, double durationSeconds) {
        this.openLoop = openLoop;
        this.targets = new ArrayList<>();
        for (String target : targets) {
            this.targets.add(new Target(target, this.targets.size()));
        }
        this.paths = paths;
        this.connections = connections;
        this.threads = threads;
        this.rate = rate;
        this.warmupSeconds = warmupSeconds;
        this.durationSeconds = durationSeconds;
    }

    static LoadRun parse(boolean openLoop, String[] args) {
        List<String> targets = new ArrayList<>();
        String template = null;
        int units = 10_000;
        int connections = 32;
        int threads = 1;
        double rate = 0;
        double warmup = 5;
        double duration = 10;
        for (String[] o : LoadGenerator.options(args)) {
            switch (o[0]) {
                case "target" -> targets.add(o[1]);
                case "path-template" -> template = o[1];
                case "units" -> units = Integer.parseInt(o[1]);
                case "connections" -> connections = Integer.parseInt(o[1]);
                case "threads" -> threads = Integer.parseInt(o[1]);
                case "rate" -> rate = Double.parseDouble(o[1]);
                case "warmup" -> warmup = Double.parseDouble(o[1]);
                case "duration" -> duration = Double.parseDouble(o[1]);
                default -> throw LoadGenerator.usage("unknown option --" + o[0]);
            }
        }
        if (targets.isEmpty() || template == null) {
            throw LoadGenerator.usage("--target and --path-template are required");
        }
        if (openLoop && rate <= 0) {
            throw LoadGenerator.usage("rate mode needs --rate above 0");
        }
        if (units < 1 || connections < 1 || threads < 1 || duration <= 0 || warmup < 0) {
            throw LoadGenerator.usage("--units, --connections, --threads and --duration must be positive");
        }
        String[] paths = new String[units];
        for (int i = 0; i < units; i++) {
            paths[i] = template.replace("{unit}", "u-" + i);
        }
        return new LoadRun(openLoop, targets, paths, connections, threads, rate, warmup, duration);
    }

    /** Runs warm-up then measurement, and returns what was measured, one result per target in order. */
    List<Result> run() throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        try {
            List<Connection> open = new ArrayList<>();
            for (Target target : targets) {
                connect(target, group, epoll, open);
            }
            long start = System.nanoTime();
            long interval = openLoop ? (long) (1e9 * connections / rate) : 0;
            for (Connection c : open) {
                // Stagger the connections evenly over one interval so the rate is smooth, and the
                // targets' connections between one another, so no target's requests are always sent
                // (or answered) just before another's.
                long slots = (long) connections * targets.size();
                long first = start + interval * ((long) c.index * targets.size() + c.target.index) / slots;
                c.channel.eventLoop().execute(() -> c.start(first, interval));
            }
            sleepSeconds(warmupSeconds);
            for (Target target : targets) {
                target.reset();
            }
            measuring = true;
            long measureStart = System.nanoTime();
            sleepSeconds(durationSeconds);
            measuring = false;
            long measured = System.nanoTime() - measureStart;
            stopped = true;
            List<Result> results = new ArrayList<>();
            for (Target target : targets) {
                results.add(new Result(openLoop ? "rate" : "max", target.address, connections, rate, durationSeconds,
                        target.ok.sum(), target.errors.sum(), measured, target.latencies.getIntervalHistogram(),
                        epoll ? "epoll" : "nio"));
            }
            for (Connection c : open) {
                c.channel.close();
            }
            if (failure != null) {
                throw new IllegalStateException("load run failed: " + failure);
            }
            return results;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }

    /** Opens {@link #connections} connections to {@code target}, adding them to {@code open}. */
    private void connect(Target target, EventLoopGroup group, boolean epoll, List<Connection> open)
            throws InterruptedException {
        boolean unix = target.address.startsWith("unix:");
        if (unix && !epoll) {
            throw new IllegalStateException("Unix-socket targets need the native epoll transport: "
                    + Epoll.unavailabilityCause());
        }
        SocketAddress address;
        Class<? extends Channel> channelType;
        if (unix) {
            address = new DomainSocketAddress(target.address.substring("unix:".length()));
            channelType = EpollDomainSocketChannel.class;
        } else {
            URI uri = URI.create(target.address);
            address = new InetSocketAddress(uri.getHost(), uri.getPort());
            channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        }
        for (int i = 0; i < connections; i++) {
            Connection c = new Connection(target, i);
            Bootstrap b = new Bootstrap().group(group).channel(channelType)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20), c);
                        }
                    });
            if (!unix) {
                b.option(ChannelOption.TCP_NODELAY, true);
            }
            c.channel = b.connect(address).sync().channel();
            open.add(c);
        }
    }

    private static void sleepSeconds(double seconds) throws InterruptedException {
        long nanos = (long) (seconds * 1e9);
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            TimeUnit.NANOSECONDS.sleep(Math.min(end - System.nanoTime(), 100_000_000L));
        }
    }

    /** One target and what was measured on it. */
    private static final class Target {
        final String address;
        final int index;
        final Recorder latencies = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
        final LongAdder ok = new LongAdder();
        final LongAdder errors = new LongAdder();

        Target(String address, int index) {
            this.address = address;
            this.index = index;
        }

        void reset() {
            latencies.reset();
            ok.reset();
            errors.reset();
        }
    }

    /** One keep-alive connection: at most one request in flight, sent at its intended time or at once. */
    private final class Connection extends SimpleChannelInboundHandler<FullHttpResponse> {
        final Target target;
        final int index;
        Channel channel;
        private long interval;
        private long nextIntended;
        private long inFlightIntended;
        private int unit;

        Connection(Target target, int index) {
            this.target = target;
            this.index = index;
            this.unit = index % paths.length;
        }

        /** Called on the channel's event loop. */
        void start(long firstIntended, long intervalNanos) {
            this.interval = intervalNanos;
            this.nextIntended = firstIntended;
            next();
        }

        private void next() {
            if (stopped) {
                return;
            }
            if (interval == 0) {
                send(System.nanoTime());
                return;
            }
            long delay = nextIntended - System.nanoTime();
            if (delay <= 0) {
                send(nextIntended);
            } else {
                channel.eventLoop().schedule(() -> send(nextIntended), delay, TimeUnit.NANOSECONDS);
            }
        }

        private void send(long intended) {
            if (stopped) {
                return;
            }
            inFlightIntended = intended;
            nextIntended = intended + interval;
            String path = paths[unit];
            unit += connections;
            if (unit >= paths.length) {
                unit %= paths.length;
            }
            DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
            request.headers().set(HttpHeaderNames.HOST, "localhost");
            channel.writeAndFlush(request, channel.voidPromise());
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            long latency = System.nanoTime() - inFlightIntended;
            if (measuring) {
                target.latencies.recordValue(Math.min(latency, TimeUnit.SECONDS.toNanos(60)));
                if (response.status().code() == 200) {
                    target.ok.increment();
                } else {
                    target.errors.increment();
                }
            }
            next();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!stopped) {
                failure = "connection " + index + " to " + target.address + " closed by the server";
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!stopped) {
                failure = "connection " + index + " to " + target.address + ": " + cause;
            }
            ctx.close();
        }
    }

    /** What one run measured. Latencies in microseconds. */
    record Result(String mode, String target, int connections, double rate, double durationSeconds, long ok,
            long errors, long measuredNanos, Histogram latencies, String transport) {

        String line() {
            double seconds = measuredNanos / 1e9;
            return String.format(Locale.ROOT,
                    "mode=%s target=%s transport=%s connections=%d rate=%.0f duration_s=%.1f requests=%d errors=%d"
                            + " rps=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f",
                    mode, target, transport, connections, rate, seconds, ok + errors, errors,
                    (ok + errors) / seconds, us(50), us(90), us(99), us(99.9), latencies.getMaxValue() / 1000.0);
        }

        private double us(double percentile) {
            return latencies.getValueAtPercentile(percentile) / 1000.0;
        }
    }
}

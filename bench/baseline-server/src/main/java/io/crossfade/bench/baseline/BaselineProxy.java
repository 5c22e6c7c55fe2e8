package io.crossfade.bench.baseline;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.transport.Transport;
import java.net.InetSocketAddress;

/**
 * The floors the sidecar's proxy mode is measured against: the least a reverse proxy on this
 * project's stack can cost, for the benchmark's workload only (small GET requests and answers on
 * keep-alive connections). Two of them, one per layer the sidecar could be built on:
 *
 * <ul>
 *   <li>{@code netty}: Netty's epoll transport and HTTP codecs, the same Netty the sidecar runs on,
 *       with nothing else. Each client connection gets its own upstream connection on its own event
 *       loop, opened once and kept (no pool to look into); every decoded message is written on as it
 *       comes and flushed at the end of each message. It adds {@code X-Forwarded-For} and
 *       {@code X-Forwarded-Proto} to each request and nothing more;</li>
 *   <li>{@code vertx}: Vert.x core's HTTP server and client, the same Vert.x as the sidecar and what
 *       {@code io.vertx:vertx-http-proxy} is built on, one server and one upstream pool per event
 *       loop, the request and the answer piped with {@code send(ReadStream)}; the same two headers.</li>
 * </ul>
 *
 * <p>Both run on the transport the sidecar's {@code --transport auto} takes: io_uring where this kernel
 * allows it, else epoll ({@code --transport} names one).
 *
 * <p>Neither is a proxy to run: no backpressure beyond what the codecs give, no timeouts, no
 * hop-by-hop header handling, no error answers (a failed upstream closes the connection). Whatever
 * the sidecar costs beyond the {@code vertx} floor is its own work; whatever the {@code vertx}
 * floor costs beyond the {@code netty} floor is Vert.x's HTTP layer; what the {@code netty} floor
 * costs beyond nginx is the JVM's and Netty's.
 *
 * <pre>
 * java -cp baseline-server.jar io.crossfade.bench.baseline.BaselineProxy \
 *      --layer netty|vertx --listen 127.0.0.1:18057 --upstream 127.0.0.1:18051 [--event-loops N]
 *      [--transport io_uring|epoll]
 * </pre>
 *
 * <p>It prints {@code listening proxy=HOST:PORT layer=LAYER transport=io_uring|epoll} once it listens.
 */
public final class BaselineProxy {

    private BaselineProxy() {
    }

    public static void main(String[] args) throws Exception {
        String layer = null;
        InetSocketAddress listen = null;
        InetSocketAddress upstream = null;
        int eventLoops = Runtime.getRuntime().availableProcessors();
        String transport = BaselineServer.sidecarTransport() == Transport.IO_URING ? "io_uring" : "epoll";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--layer" -> layer = args[++i];
                case "--transport" -> transport = args[++i];
                case "--listen" -> listen = address("--listen", args[++i]);
                case "--upstream" -> upstream = address("--upstream", args[++i]);
                case "--event-loops" -> eventLoops = Integer.parseInt(args[++i]);
                default -> throw usage("unknown argument " + args[i]);
            }
        }
        if (layer == null || listen == null || upstream == null) {
            throw usage("--layer, --listen and --upstream are required");
        }
        // both floors need the native transport the sidecar uses; measuring NIO instead would be unfair to them
        boolean uring = switch (transport) {
            case "io_uring" -> {
                IoUring.ensureAvailability();
                yield true;
            }
            case "epoll" -> {
                Epoll.ensureAvailability();
                yield false;
            }
            default -> throw usage("--transport must be io_uring or epoll, not " + transport);
        };
        switch (layer) {
            case "netty" -> netty(listen, upstream, eventLoops, uring);
            case "vertx" -> vertx(listen, upstream, eventLoops, uring);
            default -> throw usage("--layer must be netty or vertx, not " + layer);
        }
        System.out.println("listening proxy=" + listen.getHostString() + ":" + listen.getPort() + " layer=" + layer
                + " transport=" + transport);
    }

    private static void netty(InetSocketAddress listen, InetSocketAddress upstream, int eventLoops, boolean uring)
            throws InterruptedException {
        IoHandlerFactory io = uring ? IoUringIoHandler.newFactory() : EpollIoHandler.newFactory();
        Class<? extends ServerChannel> serverChannel = uring ? IoUringServerSocketChannel.class : EpollServerSocketChannel.class;
        Class<? extends Channel> clientChannel = uring ? IoUringSocketChannel.class : EpollSocketChannel.class;
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(eventLoops, io);
        new ServerBootstrap()
                .group(loops)
                .channel(serverChannel)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel client) {
                        client.config().setAutoRead(false); // until its upstream connection is open
                        client.pipeline().addLast(new HttpServerCodec(), new ClientSide(upstream, clientChannel));
                    }
                })
                .bind(listen)
                .sync();
    }

    /** A client connection of the Netty floor: opens its upstream connection, then forwards to it. */
    private static final class ClientSide extends ChannelInboundHandlerAdapter {

        private final InetSocketAddress upstreamAddress;
        private final Class<? extends Channel> channelType;
        private Channel upstream;

        ClientSide(InetSocketAddress upstreamAddress, Class<? extends Channel> channelType) {
            this.upstreamAddress = upstreamAddress;
            this.channelType = channelType;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            new Bootstrap()
                    .group(client.eventLoop())
                    .channel(channelType)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel channel) {
                            channel.pipeline().addLast(new HttpClientCodec(), new UpstreamSide(client));
                        }
                    })
                    .connect(upstreamAddress)
                    .addListener((ChannelFutureListener) connected -> {
                        if (!connected.isSuccess()) {
                            client.close();
                            return;
                        }
                        upstream = connected.channel();
                        client.config().setAutoRead(true);
                    });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            if (message instanceof HttpRequest request) {
                InetSocketAddress from = (InetSocketAddress) ctx.channel().remoteAddress();
                request.headers().add("X-Forwarded-For", from.getAddress().getHostAddress());
                request.headers().add("X-Forwarded-Proto", "http");
            }
            if (message instanceof LastHttpContent) {
                upstream.writeAndFlush(message);
            } else {
                upstream.write(message);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (upstream != null) {
                upstream.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** The upstream connection of one client connection: every answer goes back to that client. */
    private static final class UpstreamSide extends ChannelInboundHandlerAdapter {

        private final Channel client;

        UpstreamSide(Channel client) {
            this.client = client;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            if (!client.isActive()) {
                ReferenceCountUtil.release(message);
            } else if (message instanceof LastHttpContent) {
                client.writeAndFlush(message);
            } else {
                client.write(message);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            client.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static void vertx(InetSocketAddress listen, InetSocketAddress upstream, int eventLoops, boolean uring) {
        Vertx vertx = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(eventLoops))
                .withTransport(uring ? Transport.IO_URING : Transport.EPOLL).build();
        vertx.deployVerticle(() -> new VertxFloor(listen, upstream), new DeploymentOptions().setInstances(eventLoops))
                .await();
    }

    /** One event loop of the Vert.x floor: a server and its own upstream pool. */
    private static final class VertxFloor extends VerticleBase {

        private final InetSocketAddress listen;
        private final InetSocketAddress upstream;
        private HttpClient client;

        VertxFloor(InetSocketAddress listen, InetSocketAddress upstream) {
            this.listen = listen;
            this.upstream = upstream;
        }

        @Override
        public Future<?> start() {
            client = vertx.httpClientBuilder()
                    .with(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true))
                    .with(new PoolOptions().setHttp1MaxSize(1024))
                    .build();
            return vertx.createHttpServer(new HttpServerOptions().setReusePort(true).setTcpNoDelay(true))
                    .requestHandler(this::forward)
                    .listen(listen.getPort(), listen.getHostString());
        }

        private void forward(HttpServerRequest request) {
            request.pause();
            HttpServerResponse response = request.response();
            client.request(new RequestOptions()
                            .setMethod(request.method())
                            .setHost(upstream.getHostString())
                            .setPort(upstream.getPort())
                            .setURI(request.uri()))
                    .compose(out -> {
                        out.headers().addAll(request.headers());
                        out.headers().add("X-Forwarded-For", request.remoteAddress().hostAddress());
                        out.headers().add("X-Forwarded-Proto", "http");
                        return out.send(request);
                    })
                    .onComplete(answered -> {
                        if (answered.failed()) {
                            request.connection().close();
                            return;
                        }
                        HttpClientResponse in = answered.result();
                        response.setStatusCode(in.statusCode());
                        response.headers().addAll(in.headers());
                        response.send(in);
                    });
        }
    }

    private static InetSocketAddress address(String flag, String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw usage(flag + " must be HOST:PORT, not " + hostPort);
        }
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    private static IllegalArgumentException usage(String problem) {
        return new IllegalArgumentException(problem + "\nusage: BaselineProxy --layer netty|vertx --listen HOST:PORT "
                + "--upstream HOST:PORT [--event-loops N] [--transport io_uring|epoll]");
    }
}

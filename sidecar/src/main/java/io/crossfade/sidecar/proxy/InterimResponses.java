package io.crossfade.sidecar.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Drops the interim responses Vert.x's HTTP client would take for final ones. RFC 9110 §15.2: every
 * 1xx but 101 is interim, and a final response follows on the same request. The client knows
 * {@code 100 Continue} and {@code 103 Early Hints}; any other (an upstream's {@code 102 Processing},
 * an unassigned 1xx) it would hand over as the answer, and then drop the real one as "a message with
 * no request in progress", leaving the proxy's client with a 1xx and waiting for ever. The proxy
 * forwards no interim response (its client is answered by the final one alone, which RFC 9110 allows
 * an intermediary), so these are dropped here, below the client, with their empty body.
 *
 * <p>A Netty handler right after the upstream connection's HTTP codec; one per connection, on its
 * event loop.
 */
final class InterimResponses extends ChannelInboundHandlerAdapter {

    private static final String NAME = "crossfade-interim-responses";
    private static final String CODEC = "codec";

    /** Between a dropped interim head and the end of its (empty) body. */
    private boolean dropping;

    /** Installs the handler on {@code connection}, an upstream connection the client just opened. */
    static void install(HttpConnection connection) {
        if (connection instanceof ConnectionBase base && base.channel().pipeline().get(CODEC) != null
                && base.channel().pipeline().get(NAME) == null) {
            base.channel().pipeline().addAfter(CODEC, NAME, new InterimResponses());
        }
    }

    /** True for a status the client must not take as the final answer. */
    static boolean dropped(int status) {
        return status >= 100 && status < 200 && status != 100 && status != 101 && status != 103;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpResponse head && dropped(head.status().code())) {
            dropping = !(msg instanceof LastHttpContent);
            ReferenceCountUtil.release(msg);
            return;
        }
        if (dropping && msg instanceof HttpContent) {
            dropping = !(msg instanceof LastHttpContent);
            ReferenceCountUtil.release(msg);
            return;
        }
        super.channelRead(ctx, msg);
    }
}

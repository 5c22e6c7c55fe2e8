package io.crossfade.sidecar.http;

import io.crossfade.sidecar.json.Json;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import java.nio.charset.StandardCharsets;

/**
 * Checks on the HTTP/1.x byte stream that Vert.x answers badly by itself, made where they can be: in
 * each connection's Netty pipeline, right after the request decoder and response encoder.
 * <ul>
 *   <li>A request line in another version than HTTP/1.0 or HTTP/1.1 ({@code HTTP/9.9},
 *       {@code FOO/1.0}) is turned into a decoding failure, so the listener's invalid-request handler
 *       answers 505 in the error shape; Vert.x would answer an empty 501 whose status line echoes the
 *       client's protocol token.</li>
 *   <li>A body whose chunked framing is broken (a chunk size that is not hexadecimal) is answered 400
 *       in the error shape, in its turn after any pipelined answers before it, and the connection is
 *       closed; Vert.x would close it without a word.</li>
 * </ul>
 * One instance per connection, used only on its event loop. Installed by {@link HttpListener} and by
 * the proxy listener when Vert.x hands them the connection; both answer the failures with
 * {@link HttpListener#invalidRequest}.
 */
public final class WireChecks extends ChannelDuplexHandler {

    /** Name in the pipeline. */
    static final String NAME = "crossfade-wire-checks";

    /**
     * Vert.x's name of the HTTP/1.x response encoder in a connection's pipeline, which follows the
     * request decoder. The checks go after both: they see decoded requests coming in, and what they
     * write goes out through the encoder.
     */
    private static final String ENCODER = "httpEncoder";

    /** Thrown into a request's decoder result for a version other than HTTP/1.0 and HTTP/1.1. */
    static final class UnsupportedVersion extends RuntimeException {
        UnsupportedVersion() {
            super("the listeners speak HTTP/1.1 and HTTP/1.0 only", null, false, false);
        }
    }

    private int requests;
    private int answersStarted;
    private int answersEnded;
    private String brokenBody;

    private WireChecks() {
    }

    /**
     * Adds the checks to an HTTP/1.x connection's pipeline, once; does nothing for another kind of
     * connection (there is no such listener today) or one whose pipeline Vert.x laid out differently.
     */
    public static void install(HttpConnection connection) {
        if (!(connection instanceof io.vertx.core.net.impl.ConnectionBase base)) {
            return;
        }
        var pipeline = base.channelHandlerContext().pipeline();
        if (pipeline.get(ENCODER) != null && pipeline.get(NAME) == null) {
            pipeline.addAfter(ENCODER, NAME, new WireChecks());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (brokenBody != null) {
            ReferenceCountUtil.release(msg); // the stream after a broken body means nothing
            return;
        }
        if (msg instanceof HttpRequest request) {
            requests++;
            HttpVersion version = request.protocolVersion();
            if (request.decoderResult().isSuccess() && version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
                // answered in HTTP/1.1, never in the client's own token
                request.setProtocolVersion(HttpVersion.HTTP_1_1);
                request.setDecoderResult(DecoderResult.failure(new UnsupportedVersion()));
            }
        } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
            Throwable cause = content.decoderResult().cause();
            ReferenceCountUtil.release(msg);
            brokenBody = "the chunked body is malformed" + (cause == null || cause.getMessage() == null ? ""
                    : ": " + io.crossfade.config.InputText.abbreviate(cause.getMessage(), 120));
            answerBrokenBodyWhenDue(ctx);
            return; // the request never ends for Vert.x: the connection closes under it
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        boolean informational = msg instanceof HttpResponse r && r.status().codeClass()
                == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL;
        if (msg instanceof HttpResponse && !informational) {
            answersStarted++;
        }
        if (msg instanceof LastHttpContent && !informational) {
            answersEnded++;
        }
        ctx.write(msg, promise);
        if (brokenBody != null && msg instanceof LastHttpContent) {
            answerBrokenBodyWhenDue(ctx);
        }
    }

    /**
     * Answers the request with the broken body once every answer before it is complete, or closes
     * the connection once its own answer (begun before the body broke) is complete.
     */
    private void answerBrokenBodyWhenDue(ChannelHandlerContext ctx) {
        if (answersStarted >= requests) {
            if (answersEnded >= requests) {
                ctx.flush();
                ctx.close();
            }
            return; // its answer is under way; closed when it ends
        }
        if (answersEnded < requests - 1) {
            return; // an earlier pipelined answer is still being written
        }
        byte[] body = Json.MAPPER.createObjectNode().put("error", ErrorCode.BAD_REQUEST.code())
                .put("message", brokenBody).toString().getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpResponses.JSON)
                .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        answersStarted++;
        answersEnded++;
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}

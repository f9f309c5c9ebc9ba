package dev.pulse.gateway.websocket;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.core.net.impl.ConnectionBase;
import dev.pulse.gateway.config.FrameworkSettings;

/**
 * Makes a client that breaks the WebSocket protocol (a reserved opcode, a continuation of nothing, an oversized control
 * frame, a frame over the ceiling, invalid UTF-8 in a text message) get a close frame with the RFC 6455 status (1002,
 * 1009, 1007) before its connection ends, as RFC 6455 section 7.1.7 asks.
 *
 * <p>
 * Why: Vert.x configures Netty's frame decoder not to close on protocol violations and then, on the exception, closes
 * the TCP connection itself, so the client only saw 1006; and it decodes text frames leniently, so invalid UTF-8
 * arrived as replacement characters instead of failing the connection (RFC 6455 section 8.1). Two handlers go into
 * each upgraded connection's pipeline, just before Vert.x's own (installed at the upgrade, they outlive the switch from
 * HTTP to WebSocket codecs): Netty's UTF-8 validator, and a writer that sends the close frame and passes the failure
 * on once the frame is flushed, or after a second for a client that does not read.
 */
@ApplicationScoped
public class ViolationCloseFrames implements HttpUpgradeCheck {

    /** Vert.x's own handler, the last one of every HTTP connection's pipeline. */
    private static final String VERTX_HANDLER = "handler";
    private static final String UTF8_VALIDATOR = "pulse-utf8-validator";
    private static final String CLOSE_FRAME_WRITER = "pulse-violation-close-frames";
    private static final long FLUSH_GRACE_MILLIS = 1000;

    private final CloseFrameWriter writer;

    public ViolationCloseFrames(FrameworkSettings settings) {
        this.writer = new CloseFrameWriter(settings.maxMessageBytes());
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        if (context.httpRequest().connection() instanceof ConnectionBase connection) {
            ChannelPipeline pipeline = connection.channel().pipeline();
            if (pipeline.get(VERTX_HANDLER) != null && pipeline.get(CLOSE_FRAME_WRITER) == null) {
                // Stateful (it follows fragmented messages): one per connection. It leaves closing to the writer.
                pipeline.addBefore(VERTX_HANDLER, UTF8_VALIDATOR, new Utf8FrameValidator(false));
                pipeline.addBefore(VERTX_HANDLER, CLOSE_FRAME_WRITER, writer);
            }
        }
        return CheckResult.permitUpgrade();
    }

    @ChannelHandler.Sharable
    static final class CloseFrameWriter extends ChannelInboundHandlerAdapter {

        private final int maxMessageBytes;

        CloseFrameWriter(int maxMessageBytes) {
            this.maxMessageBytes = maxMessageBytes;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Optional<CloseReason> reason = cause instanceof CorruptedWebSocketFrameException
                    ? FrameViolations.closeReason(cause, maxMessageBytes)
                    : Optional.empty();
            if (reason.isEmpty() || !ctx.channel().isActive()) {
                ctx.fireExceptionCaught(cause);
                return;
            }
            AtomicBoolean passedOn = new AtomicBoolean();
            Runnable passOn = () -> {
                if (passedOn.compareAndSet(false, true)) {
                    ctx.fireExceptionCaught(cause);
                }
            };
            ctx.writeAndFlush(new CloseWebSocketFrame(reason.get().getCode(), reason.get().getMessage()))
                    .addListener(written -> passOn.run());
            ctx.executor().schedule(passOn, FLUSH_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }
}

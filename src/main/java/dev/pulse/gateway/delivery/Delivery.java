package dev.pulse.gateway.delivery;

import java.util.Arrays;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.CloseCodes;
import dev.pulse.gateway.protocol.OutboundMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.quarkus.runtime.Startup;
import dev.pulse.gateway.session.ConnectionLog;
import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.session.SessionOutbox;

/**
 * Writes finished frames to connections. Never blocks: the write is queued on the connection's event loop
 * ({@link WriteQueues}) and its outcome is counted. Callers build a message once and pass the same
 * {@link OutboundMessage} for every target; every target gets a duplicate of the same frame bytes
 * ({@link OutboundMessage#wire()}), written straight to its socket channel and flushed once per run of its loop. A
 * connection that is keeping up and gets several small messages in one run gets them as one channel write, not one per
 * message: a slice of a buffer its loop's run shares among connections that get the same messages, or a buffer of
 * its own ({@link #merge}).
 *
 * <p>Slow consumers: a connection has at most {@code pulse.delivery.max-pending-messages} writes, and
 * {@code pulse.delivery.max-pending-bytes} bytes, not yet flushed to its socket. At either bound, telemetry is held
 * back and conflated to the newest point per device (sent when the client catches up); any other message means the
 * client cannot keep up, and the connection is closed with 4009. Memory per connection stays bounded either way, and
 * other connections are not slowed.
 *
 * <p>
 * {@code @Singleton}, not {@code @ApplicationScoped}: called once per message per recipient, and a client proxy's
 * context lookup showed in the fan-out profile (src/bench). Nothing here needs lazy creation or a proxy.
 */
@Startup
@Singleton
public class Delivery implements WriteQueues.Writer {

    private static final Logger LOG = Logger.getLogger(Delivery.class);
    /** The name Netty's handshaker gives the WebSocket frame encoder it installs. */
    private static final String WEBSOCKET_ENCODER = "wsencoder";
    /**
     * Messages up to this size (their JSON, in bytes) are merged with the others of their run ({@link #stage}); larger
     * ones (an alert list, a burst of points) are written as they are, since copying them would cost more than the
     * write it saves.
     */
    private static final int MAX_MERGED_FRAME_BYTES = 2048;
    /** Least size of a connection's own buffer of merged frames: a dozen typical events. */
    private static final int MERGED_MIN_BYTES = 2048;

    private final GatewayMetrics metrics;
    private final ServerClose closer;
    private final FanoutBudget budget;
    private final WriteQueues queues;
    private final int maxPending;
    private final long maxPendingBytes;
    private final boolean tenantLabels;

    public Delivery(GatewayMetrics metrics, ServerClose closer, FanoutBudget budget, WriteQueues queues,
            PulseConfig config) {
        this.metrics = metrics;
        this.queues = queues;
        queues.writer(this);
        this.closer = closer;
        this.budget = budget;
        this.maxPending = Math.max(1, config.delivery().maxPendingMessages());
        this.maxPendingBytes = Math.max(1, config.delivery().maxPendingBytes());
        this.tenantLabels = metrics.tenantLabels();
        metrics.declareSentTypes(Arrays.stream(OutboundMessage.Kind.values()).map(OutboundMessage.Kind::label)
                .toList());
    }

    public void send(GatewaySession session, OutboundMessage message) {
        Channel channel = admit(session, message);
        if (channel != null) {
            queues.write(channel, session, message);
        }
    }

    /**
     * A fan-out of one message: recipients added one by one, queued once per event loop when it is sent, so every
     * connection of a loop gets the fan-out's messages in the same order and the run can share their frames
     * ({@link WriteRun}).
     */
    public Fanout fanout(OutboundMessage message) {
        return new Fanout(this, queues, message);
    }

    /**
     * The checks and accounting of one message for one connection, before it is queued: returns the connection's
     * channel to queue it on, or null when it is not to be queued (the connection is closed; the message is held
     * back or the connection closed as a slow consumer; or it went through the framework's own send).
     */
    Channel admit(GatewaySession session, OutboundMessage message) {
        if (session.isClosed()) {
            return null;
        }
        SessionOutbox outbox = session.outbox();
        if (outbox.pending() >= maxPending || overBytes(outbox, message)) {
            if (message.conflationKey() != null) {
                outbox.conflate(message.conflationKey(), message);
                metrics.conflated();
            } else if (outbox.markOverflowed()) {
                metrics.slowConsumerClosed();
                ConnectionLog.with(session, () -> LOG.infof(
                        "Connection %s closed: %d messages (%d bytes) not read (slow consumer)", session.id(),
                        outbox.pending(), outbox.pendingBytes()));
                closer.close(session.connection(), CloseCodes.SLOW_CONSUMER);
            }
            return null;
        }
        Channel channel = channel(session, outbox);
        if (channel == null) {
            writeThroughConnection(session, message);
            return null;
        }
        outbox.writeStarted(message.bytes());
        budget.started(outbox.tenantInFlight());
        return channel;
    }

    /** Whether this message would take the unflushed bytes past the bound (a lone message always goes). */
    private boolean overBytes(SessionOutbox outbox, OutboundMessage message) {
        long pendingBytes = outbox.pendingBytes();
        return pendingBytes > 0 && pendingBytes + message.bytes() > maxPendingBytes;
    }

    /** The connection's socket channel, bound to its outbox on the first write. */
    private Channel channel(GatewaySession session, SessionOutbox outbox) {
        Channel channel = outbox.channel();
        if (channel == null) {
            channel = ServerClose.channel(session.connection());
            if (channel != null) {
                outbox.bind(channel, frameContext(channel), budget.tenantCounter(session.tenant()));
            }
        }
        return channel;
    }

    /**
     * Where a finished frame enters the pipeline: just below the WebSocket frame encoder. The handlers above it
     * (Vert.x's, the compression encoder, the frame encoder itself, the idle-state handler) have nothing to do with
     * bytes that are already a frame, and each of them cost time per write (the idle-state handler a promise and a
     * listener); the ones below it (TLS, traffic shaping) still see every byte. Writing from a context passes the
     * message to the handlers before it. The keepalive's pings go through the whole pipeline, so the connection is
     * not idle for Vert.x's idle timeout while Pulse pings it.
     */
    private static ChannelHandlerContext frameContext(Channel channel) {
        ChannelHandlerContext encoder = channel.pipeline().context(WEBSOCKET_ENCODER);
        if (encoder == null) {
            encoder = channel.pipeline().context(WebSocketFrameEncoder.class);
        }
        return encoder != null ? encoder : channel.pipeline().lastContext();
    }

    /**
     * On the connection's event loop: the message goes into the socket's buffer, unflushed. The run's last message
     * is held back, to be written by {@link #flush} with the one promise that reports the whole run.
     *
     * <p>Whether the connection is still open is asked once per run, at its first message: a channel is closed only
     * by its own event loop, and the run holds that loop until it ends (what it writes is not flushed before).
     */
    @Override
    public void write(GatewaySession session, OutboundMessage message, WriteRun run) {
        SessionOutbox outbox = session.outbox();
        if (outbox.runMessages() == 0 && !outbox.channel().isActive()) {
            budget.finished(outbox.tenantInFlight(), 1);
            outbox.writeFinished(message.bytes());
            metrics.sendFailures(1);
            return;
        }
        OutboundMessage previous = outbox.addToRun(message);
        if (previous == null) {
            run.touch(session);
        } else {
            stage(outbox, previous, run);
        }
        if (tenantLabels) {
            metrics.messageSent(message.kind().label(), message.bytes(), session.tenant());
        } else {
            run.sent(message);
        }
        if (message.originMillis() != 0) {
            run.delivered(message, metrics);
        }
    }

    /**
     * On the connection's event loop, at the end of a run: the last write, the one flush, and their outcome. Mostly the
     * flush writes everything at once, and the run is accounted for at once; a connection whose socket buffer is full
     * gets an empty write whose promise reports when the run has left (writes complete in order).
     */
    @Override
    public void flush(GatewaySession session, WriteRun run) {
        SessionOutbox outbox = session.outbox();
        int messages = outbox.runMessages();
        long bytes = outbox.runBytes();
        session.countSent(messages);
        OutboundMessage last = outbox.endRun();
        ChannelHandlerContext context = outbox.frameContext();
        if (outbox.runMerged() != null && merge(outbox, last, run)) {
            context.writeAndFlush(takeMerged(outbox), outbox.silentPromise());
        } else {
            writeMerged(outbox);
            context.writeAndFlush(last.wire().duplicate(), outbox.silentPromise());
        }
        Channel channel = outbox.channel();
        ChannelOutboundBuffer unflushed = channel.unsafe().outboundBuffer();
        if (!channel.isActive() || unflushed == null) {
            runWritten(session, messages, bytes, false);
        } else if (unflushed.totalPendingWriteBytes() == 0) {
            runWritten(session, messages, bytes, true);
        } else {
            ChannelPromise promise = channel.newPromise();
            promise.addListener(new RunWritten(session, messages, bytes));
            context.writeAndFlush(Unpooled.EMPTY_BUFFER, promise);
        }
    }

    @Override
    public void endRun(WriteRun run) {
        run.end(this, metrics);
    }

    @Override
    public void abandon(GatewaySession session, RuntimeException failure) {
        LOG.warnf(failure, "Flushing connection %s failed", session.id());
        SessionOutbox outbox = session.outbox();
        ByteBuf merged = outbox.runMerged();
        if (merged != null && outbox.runSliceStart() < 0) {
            merged.release();
        }
        outbox.runMerged(null);
        int messages = outbox.runMessages();
        long bytes = outbox.runBytes();
        if (outbox.endRun() != null) {
            runWritten(session, messages, bytes, false);
        }
    }

    /**
     * Hands a message of the run that is not its last towards the socket, unflushed: merged with the run's other small
     * frames ({@link #merge}) or, if it is large, or the channel is behind, written as it is, after what was merged
     * before it, so the order holds.
     */
    private static void stage(SessionOutbox outbox, OutboundMessage message, WriteRun run) {
        if (!merge(outbox, message, run)) {
            writeMerged(outbox);
            outbox.frameContext().write(message.wire().duplicate(), outbox.silentPromise());
        }
    }

    /**
     * Adds a small frame to the connection's merged frames of this run; false, with nothing done, for a large frame,
     * or for the first of a run while the channel is not writable. Merged frames go into the channel as one write: the
     * channel's bookkeeping per write (an entry in its outbound buffer, an I/O vector, its removal) costs more than
     * placing a few hundred bytes.
     *
     * <p>Where they are merged: in the run's shared buffer ({@link WriteRun}) while the connection's frames follow one
     * another there, as a room's members' do, so a frame is copied once per run and loop, not once per recipient;
     * once a connection's messages part from the others', its frames so far are copied into a buffer of its own and
     * the rest follow them there.
     *
     * <p>Only while the channel is writable (below Netty's high water mark, 64 KiB unsent) when a run starts merging:
     * a connection further behind would keep merged frames queued in its channel until its slow-consumer close, while
     * Netty's gathering write already sends its queued frames together. And shared only while nothing of it waits in
     * the channel: a slice that waits keeps the whole shared buffer (16 KiB) alive, so a connection that has stopped
     * reading holds at most the buffer of the run it stopped in, and its own small copies after that.
     */
    private static boolean merge(SessionOutbox outbox, OutboundMessage message, WriteRun run) {
        if (!mergeable(message)) {
            return false;
        }
        ByteBuf merged = outbox.runMerged();
        int length = message.wire().readableBytes();
        int start = outbox.runSliceStart();
        boolean sharing = false;
        if (merged != null && start >= 0 && merged != run.shared()) {
            // The run's shared buffer filled up and another took its place: what the slice holds goes to the channel
            // as it is, and the connection starts a slice in the new buffer.
            writeMerged(outbox);
            merged = null;
            sharing = true;
        }
        if (merged == null) {
            Channel channel = outbox.channel();
            if (!channel.isWritable()) {
                return false;
            }
            if (!sharing && !caughtUp(channel)) {
                // Behind: its slices would wait in the channel, each keeping a whole shared buffer alive; a buffer of
                // its own holds only its bytes.
                ByteBuf own = channel.alloc().directBuffer(Math.max(MERGED_MIN_BYTES, 4 * length));
                append(own, message);
                outbox.runMerged(own);
                return true;
            }
            int at = run.find(message);
            if (at < 0) {
                at = run.place(message, channel.alloc());
            }
            outbox.runSlice(run.shared(), at, at + length);
            return true;
        }
        if (start < 0) {
            append(merged, message);
            return true;
        }
        int end = outbox.runSliceEnd();
        if (run.isPlacedAt(message, end)) {
            outbox.runSlice(merged, start, end + length);
            return true;
        }
        if (end == merged.writerIndex()) {
            if (run.fits(length)) {
                run.place(message, outbox.channel().alloc());
                outbox.runSlice(merged, start, end + length);
            } else {
                // The shared buffer is full: the slice goes to the channel as it is, and a new buffer takes over.
                writeMerged(outbox);
                int at = run.place(message, outbox.channel().alloc());
                outbox.runSlice(run.shared(), at, at + length);
            }
            return true;
        }
        // Its messages part from the others': on in a buffer of its own, with room to grow without copying again.
        ByteBuf own = outbox.channel().alloc().directBuffer(Math.max(MERGED_MIN_BYTES, 2 * (end - start + length)));
        own.writeBytes(merged, start, end - start);
        append(own, message);
        outbox.runMerged(own);
        return true;
    }

    /** Whether nothing written to the channel before is still waiting in it (Netty's outbound buffer is empty). */
    private static boolean caughtUp(Channel channel) {
        ChannelOutboundBuffer unsent = channel.unsafe().outboundBuffer();
        return unsent != null && unsent.totalPendingWriteBytes() == 0;
    }

    /** Copies a message's frame to the end of a run's buffer; the shared frame's own indices stay as they are. */
    private static void append(ByteBuf merged, OutboundMessage message) {
        ByteBuf frame = message.wire();
        merged.writeBytes(frame, frame.readerIndex(), frame.readableBytes());
    }

    /**
     * The run's merged frames, ready for the channel, which releases them once written: the connection's own buffer,
     * or a slice of the shared one holding a reference of its own. The connection's merged frames are cleared.
     */
    private static ByteBuf takeMerged(SessionOutbox outbox) {
        ByteBuf merged = outbox.runMerged();
        int start = outbox.runSliceStart();
        ByteBuf frames = start < 0 ? merged : merged.retainedSlice(start, outbox.runSliceEnd() - start);
        outbox.runMerged(null);
        return frames;
    }

    /** Writes the run's merged frames, if any, unflushed. */
    private static void writeMerged(SessionOutbox outbox) {
        if (outbox.runMerged() != null) {
            outbox.frameContext().write(takeMerged(outbox), outbox.silentPromise());
        }
    }

    private static boolean mergeable(OutboundMessage message) {
        return message.bytes() <= MAX_MERGED_FRAME_BYTES;
    }

    private void runWritten(GatewaySession session, int messages, long bytes, boolean success) {
        SessionOutbox outbox = session.outbox();
        budget.finished(outbox.tenantInFlight(), messages);
        outbox.writesFinished(messages, bytes);
        if (success) {
            flushConflated(session, outbox);
        } else {
            metrics.sendFailures(messages);
            LOG.debugf("Send to %s failed: connection closed", session);
        }
    }

    /** The outcome of a run that did not leave at once: writes complete in order, so the last one speaks for all. */
    private final class RunWritten implements ChannelFutureListener {

        private final GatewaySession session;
        private final int messages;
        private final long bytes;

        RunWritten(GatewaySession session, int messages, long bytes) {
            this.session = session;
            this.messages = messages;
            this.bytes = bytes;
        }

        @Override
        public void operationComplete(ChannelFuture written) {
            runWritten(session, messages, bytes, written.isSuccess());
        }
    }

    /**
     * For a connection whose socket is not known (not expected: every server endpoint's upgrade records it), the
     * framework's own send: correct, only slower.
     */
    private void writeThroughConnection(GatewaySession session, OutboundMessage message) {
        session.connection().sendText(message.text()).subscribe().with(
                ignored -> {
                    session.countSent(1);
                    metrics.messageSent(message.kind().label(), message.bytes(), session.tenant());
                },
                failure -> {
                    metrics.sendFailures(1);
                    LOG.debugf("Send to %s failed: %s", session, failure.toString());
                });
    }

    /** Sends the telemetry held back while the client was behind, now that it reads again. */
    private void flushConflated(GatewaySession session, SessionOutbox outbox) {
        if (outbox.pending() < maxPending / 2 && outbox.pendingBytes() < maxPendingBytes / 2
                && outbox.conflatedCount() > 0) {
            for (OutboundMessage held : outbox.drainConflated()) {
                send(session, held);
            }
        }
    }
}

package dev.pulse.gateway.session;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.LongAdder;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;

import dev.pulse.gateway.protocol.OutboundMessage;

/**
 * What is on its way to one connection: writes not yet flushed to the socket, and telemetry held back while the client
 * reads too slowly (only the newest point per device, so it is bounded by the connection's device subscriptions).
 *
 * <p>It also keeps the connection's socket channel, and the state of the current write run on the channel's event
 * loop (the message held back to carry the run's completion, the small frames before it merged into one buffer, and
 * what the run wrote); those fields are only touched on that loop.
 *
 * <p>One per connection, idle ones included: its counters are volatile fields updated in place, not atomic objects,
 * and the held-back telemetry map exists only while something is held back.
 */
public final class SessionOutbox {

    private static final AtomicIntegerFieldUpdater<SessionOutbox> PENDING =
            AtomicIntegerFieldUpdater.newUpdater(SessionOutbox.class, "pending");
    private static final AtomicLongFieldUpdater<SessionOutbox> PENDING_BYTES =
            AtomicLongFieldUpdater.newUpdater(SessionOutbox.class, "pendingBytes");
    private static final AtomicIntegerFieldUpdater<SessionOutbox> OVERFLOWED =
            AtomicIntegerFieldUpdater.newUpdater(SessionOutbox.class, "overflowed");

    private volatile int pending;
    private volatile long pendingBytes;
    private volatile Channel channel;
    private ChannelHandlerContext frameContext;
    private ChannelPromise silentPromise;
    private LongAdder tenantInFlight;
    private OutboundMessage runLast;
    private ByteBuf runMerged;
    /** Where the run's merged frames start in {@code runMerged} when the run shares that buffer; -1 when it is own. */
    private int runSliceStart = -1;
    private int runSliceEnd;
    private int runMessages;
    private long runBytes;
    /** Guarded by this; null while nothing is held back. */
    private Map<String, OutboundMessage> conflated;
    private volatile int overflowed;

    /** Writes started and not completed. */
    public int pending() {
        return pending;
    }

    /** Bytes of the writes started and not completed. */
    public long pendingBytes() {
        return pendingBytes;
    }

    public void writeStarted(int bytes) {
        PENDING.incrementAndGet(this);
        PENDING_BYTES.addAndGet(this, bytes);
    }

    public void writeFinished(int bytes) {
        writesFinished(1, bytes);
    }

    public void writesFinished(int messages, long bytes) {
        PENDING.addAndGet(this, -messages);
        PENDING_BYTES.addAndGet(this, -bytes);
    }

    /** The socket channel of the connection, or null before {@link #bind}. */
    public Channel channel() {
        return channel;
    }

    /**
     * Binds the connection's socket channel, the pipeline context finished frames are written from, and the tenant's
     * in-flight counter (once, on the first write).
     */
    public void bind(Channel channel, ChannelHandlerContext frameContext, LongAdder tenantInFlight) {
        this.tenantInFlight = tenantInFlight;
        this.frameContext = frameContext;
        this.silentPromise = new VoidChannelPromise(channel, false);
        this.channel = channel;
    }

    /** Where finished frames enter the pipeline, as {@link #bind} got it. */
    public ChannelHandlerContext frameContext() {
        return frameContext;
    }

    /** The tenant's counter of messages in flight, as {@link #bind} got it. */
    public LongAdder tenantInFlight() {
        return tenantInFlight;
    }

    /**
     * A promise for writes whose outcome the run's last write reports: it neither allocates nor, on failure, fires
     * an exception down the pipeline (a write racing a close is expected, not an error).
     */
    public ChannelPromise silentPromise() {
        return silentPromise;
    }

    /**
     * Adds a message to the current run; returns the message it displaces as the run's last (to be written now with
     * the silent promise), or null for the run's first message.
     */
    public OutboundMessage addToRun(OutboundMessage message) {
        OutboundMessage previous = runLast;
        runLast = message;
        runMessages++;
        runBytes += message.bytes();
        return previous;
    }

    /**
     * The small frames of the current run that came before its last message, merged and not yet handed to the channel:
     * a buffer of the connection's own, or, when {@link #runSliceStart} is not -1, a buffer the loop's run shares
     * among connections, of which they are the bytes from {@link #runSliceStart} to {@link #runSliceEnd}. Null when
     * there are none.
     */
    public ByteBuf runMerged() {
        return runMerged;
    }

    /** Sets the run's merged frames to a buffer of the connection's own (null: cleared, once handed to the channel). */
    public void runMerged(ByteBuf merged) {
        this.runMerged = merged;
        this.runSliceStart = -1;
    }

    /** Sets the run's merged frames to bytes {@code start} to {@code end} of a buffer the run shares. */
    public void runSlice(ByteBuf shared, int start, int end) {
        this.runMerged = shared;
        this.runSliceStart = start;
        this.runSliceEnd = end;
    }

    /** Where the run's merged frames start in a shared buffer, or -1 when they are in a buffer of their own. */
    public int runSliceStart() {
        return runSliceStart;
    }

    public int runSliceEnd() {
        return runSliceEnd;
    }

    /** The newest message of the current run, held back until the run ends (null between runs). */
    public OutboundMessage runLast() {
        return runLast;
    }

    /** The run's last message, to be written with the promise that reports the whole run; the run is reset. */
    public OutboundMessage endRun() {
        OutboundMessage last = runLast;
        runLast = null;
        runMessages = 0;
        runBytes = 0;
        return last;
    }

    public int runMessages() {
        return runMessages;
    }

    public long runBytes() {
        return runBytes;
    }

    /** Keeps only the newest telemetry message of a device until the client catches up. */
    public synchronized void conflate(String key, OutboundMessage message) {
        if (conflated == null) {
            conflated = new LinkedHashMap<>();
        }
        conflated.remove(key);
        conflated.put(key, message);
    }

    /** The held-back telemetry, oldest device first, emptied. */
    public synchronized List<OutboundMessage> drainConflated() {
        if (conflated == null) {
            return List.of();
        }
        List<OutboundMessage> messages = new ArrayList<>(conflated.values());
        conflated = null;
        return messages;
    }

    public synchronized int conflatedCount() {
        return conflated == null ? 0 : conflated.size();
    }

    /** True for the one caller that first finds the bound crossed: it closes the connection. */
    public boolean markOverflowed() {
        return OVERFLOWED.compareAndSet(this, 0, 1);
    }
}

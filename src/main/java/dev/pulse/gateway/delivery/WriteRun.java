package dev.pulse.gateway.delivery;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.session.GatewaySession;

/**
 * One event loop's current write run: the connections it wrote to, each flushed once at its end; the frames of its
 * small messages, copied once however many connections get them; and how many messages of each type and bytes it
 * wrote. Only its own loop touches it.
 *
 * <p>Shared frames: the first connection of a run to merge a small message copies its frame into the run's buffer;
 * the others that get the same messages in the same order (a room's members, during a fan-out) find them there, one
 * after the other, and each writes a slice of that buffer, not a copy of its own. In the 400 broadcasts/s profile the
 * copies into one buffer per connection were 8 % of Pulse's CPU, most of it writing to memory no other connection
 * reads. The buffers have a fixed size and are only appended to, so a slice already handed to a channel never sees its
 * bytes move; each slice holds its own reference, and the run lets go of its buffers when it ends.
 *
 * <p>Counters: what the run wrote is added to {@code pulse_messages_sent_total} and {@code pulse_bytes_sent_total}
 * once, at its end, not once per message and recipient (the increments, through Micrometer's composite registry, were
 * 4 % of Pulse's CPU). Delivery delays likewise: one observation of n for the n connections a message went to in a row
 * ({@code BatchedHistogram}; the timer's call per recipient was 10 %).
 */
final class WriteRun {

    private static final OutboundMessage.Kind[] KINDS = OutboundMessage.Kind.values();
    /**
     * Size of each shared frame buffer: a run's distinct small frames at hundreds of events per second (a few hundred
     * bytes each); a run with more starts another, and connections go on there with a slice of their own.
     */
    private static final int SHARED_BYTES = 16 * 1024;
    /** How far back {@link #find} looks: a run's distinct messages are few; a long tail is not worth the scan. */
    private static final int FIND_DEPTH = 64;

    private final List<GatewaySession> touched = new ArrayList<>();
    private final long[] sentByKind = new long[KINDS.length];
    private long messagesSent;
    private long bytesSent;
    /** The live push whose delay is being tallied, the connections it was written to in a row, and its delay. */
    private OutboundMessage delayed;
    private int delayedWrites;
    private long delayMillis;

    /** The buffer frames are appended to now; those filled before it stay alive until the run ends. */
    private ByteBuf shared;
    private final List<ByteBuf> buffers = new ArrayList<>(2);
    /** What {@link #shared} holds: the messages and where each frame starts, in increasing order. */
    private OutboundMessage[] placedMessages = new OutboundMessage[64];
    private int[] placedAt = new int[64];
    private int placed;

    /** Adds a connection to be flushed at the end of the run (once: at its first message of the run). */
    void touch(GatewaySession session) {
        touched.add(session);
    }

    /** Counts one message written in this run (without tenant labels: with them, each message is counted at once). */
    void sent(OutboundMessage message) {
        sentByKind[message.kind().ordinal()]++;
        messagesSent++;
        bytesSent += message.bytes();
    }

    /**
     * Observes a live push's delay, from what it carries (an event, an alert change, a point) to its write. A fan-out's
     * recipients on this loop are written one after the other: they share one clock read, at the first of them, and
     * one observation of n (the others' writes follow within the run, milliseconds at most).
     */
    void delivered(OutboundMessage message, GatewayMetrics metrics) {
        if (message == delayed) {
            delayedWrites++;
            return;
        }
        reportDelay(metrics);
        delayed = message;
        delayedWrites = 1;
        delayMillis = System.currentTimeMillis() - message.originMillis();
    }

    private void reportDelay(GatewayMetrics metrics) {
        if (delayed == null) {
            return;
        }
        switch (delayed.kind()) {
            case EVENT -> metrics.eventsDelivered(delayMillis, delayedWrites);
            case ALERTS -> metrics.alertsDelivered(delayMillis, delayedWrites);
            case TELEMETRY -> metrics.pointsDelivered(delayMillis, delayedWrites);
            default -> {
                // Replies, errors and status messages answer the client or the moment; they have no origin.
            }
        }
        delayed = null;
        delayedWrites = 0;
    }

    /** The buffer shared frames are appended to now (null before the run's first). */
    ByteBuf shared() {
        return shared;
    }

    /** Where the message's frame starts in {@link #shared}, or -1 if it was not copied there recently. */
    int find(OutboundMessage message) {
        for (int i = placed - 1, last = Math.max(0, placed - FIND_DEPTH); i >= last; i--) {
            if (placedMessages[i] == message) {
                return placedAt[i];
            }
        }
        return -1;
    }

    /** Whether the message's frame is in {@link #shared} starting at {@code offset}. */
    boolean isPlacedAt(OutboundMessage message, int offset) {
        int low = 0;
        int high = placed - 1;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            int at = placedAt[middle];
            if (at < offset) {
                low = middle + 1;
            } else if (at > offset) {
                high = middle - 1;
            } else {
                return placedMessages[middle] == message;
            }
        }
        return false;
    }

    /** Whether {@code bytes} more fit in {@link #shared} without starting a new buffer. */
    boolean fits(int bytes) {
        return shared != null && shared.writableBytes() >= bytes;
    }

    /**
     * Copies the message's frame to the end of {@link #shared} (a new buffer if it is full) and returns where it
     * starts. Frames placed here are at most {@code SHARED_BYTES} long.
     */
    int place(OutboundMessage message, ByteBufAllocator allocator) {
        ByteBuf frame = message.wire();
        int length = frame.readableBytes();
        if (!fits(length)) {
            shared = allocator.directBuffer(SHARED_BYTES, SHARED_BYTES);
            buffers.add(shared);
            Arrays.fill(placedMessages, 0, placed, null);
            placed = 0;
        }
        int at = shared.writerIndex();
        shared.writeBytes(frame, frame.readerIndex(), length);
        if (placed == placedAt.length) {
            placedAt = Arrays.copyOf(placedAt, placed * 2);
            placedMessages = Arrays.copyOf(placedMessages, placed * 2);
        }
        placedMessages[placed] = message;
        placedAt[placed] = at;
        placed++;
        return at;
    }

    /**
     * Flushes each connection the run wrote to, reports what the run wrote (and the delays it observed) and lets go
     * of its shared buffers (what was written from them holds its own reference); the run starts afresh.
     */
    void end(WriteQueues.Writer writer, GatewayMetrics metrics) {
        try {
            for (int i = 0; i < touched.size(); i++) {
                GatewaySession session = touched.get(i);
                try {
                    writer.flush(session, this);
                } catch (RuntimeException e) {
                    // Every connection of the run must be flushed or given up before the shared buffers go: one
                    // left holding a slice of a released buffer would write another run's bytes later.
                    writer.abandon(session, e);
                }
            }
        } finally {
            touched.clear();
            releaseShared();
        }
        reportDelay(metrics);
        if (messagesSent == 0) {
            return;
        }
        for (int kind = 0; kind < sentByKind.length; kind++) {
            if (sentByKind[kind] > 0) {
                metrics.messagesSent(KINDS[kind].label(), sentByKind[kind]);
                sentByKind[kind] = 0;
            }
        }
        metrics.bytesSent(bytesSent);
        messagesSent = 0;
        bytesSent = 0;
    }

    private void releaseShared() {
        for (int i = 0; i < buffers.size(); i++) {
            buffers.get(i).release();
        }
        buffers.clear();
        shared = null;
        Arrays.fill(placedMessages, 0, placed, null);
        placed = 0;
    }
}

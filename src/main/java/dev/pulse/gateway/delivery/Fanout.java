package dev.pulse.gateway.delivery;

import java.util.Arrays;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.session.GatewaySession;

/**
 * One message on its way to many connections (an event to a room): each recipient is checked and counted as it is
 * added, as {@link Delivery#send} does, and the message is queued once per event loop when the fan-out is sent, with
 * the loop's recipients in one entry.
 *
 * <p>Why one entry per loop: queued one recipient at a time, two events published at once interleave in a loop's queue,
 * so members of one room get them in different orders, and the run can no longer share their frames; one entry per
 * loop keeps every member's order the same. It also spares an entry, a queue insertion and a clock read per recipient.
 * Confined to the thread that publishes, and used once.
 */
public final class Fanout {

    private final Delivery delivery;
    private final WriteQueues queues;
    private final OutboundMessage message;
    private EventLoop[] loops = new EventLoop[2];
    private GatewaySession[][] recipients = new GatewaySession[2][];
    private int[] counts = new int[2];
    private int loopCount;
    private boolean sent;

    Fanout(Delivery delivery, WriteQueues queues, OutboundMessage message) {
        this.delivery = delivery;
        this.queues = queues;
        this.message = message;
    }

    /** Adds a recipient (nothing happens to it until {@link #send}, unless its checks already decide, as in send). */
    public void add(GatewaySession session) {
        if (sent) {
            throw new IllegalStateException("a fan-out is sent once");
        }
        Channel channel = delivery.admit(session, message);
        if (channel == null) {
            return;
        }
        EventLoop loop = channel.eventLoop();
        int index = 0;
        while (index < loopCount && loops[index] != loop) {
            index++;
        }
        if (index == loopCount) {
            if (loopCount == loops.length) {
                loops = Arrays.copyOf(loops, loopCount * 2);
                recipients = Arrays.copyOf(recipients, loopCount * 2);
                counts = Arrays.copyOf(counts, loopCount * 2);
            }
            loops[index] = loop;
            recipients[index] = new GatewaySession[16];
            loopCount++;
        }
        GatewaySession[] ofLoop = recipients[index];
        if (counts[index] == ofLoop.length) {
            recipients[index] = ofLoop = Arrays.copyOf(ofLoop, ofLoop.length * 2);
        }
        ofLoop[counts[index]++] = session;
    }

    /** Queues the message for every recipient added, once per event loop; the fan-out is then spent. */
    public void send() {
        if (sent) {
            return;
        }
        sent = true;
        for (int i = 0; i < loopCount; i++) {
            queues.writeAll(loops[i], recipients[i], counts[i], message);
        }
    }
}

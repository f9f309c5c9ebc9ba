package dev.pulse.gateway.delivery;

import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.session.GatewaySession;

/**
 * One write queue per event loop: whoever sends to a connection (a fan-out loop on a worker thread, a poller, a
 * command handler) appends to the queue of the loop that owns the connection's socket, and that loop writes the queue
 * in runs. Per run, each connection is flushed once, however many messages it got: a burst of events costs one
 * socket write per connection, not one per message, and a thousand recipients cost one task hand-off per event loop,
 * not a thousand. A fan-out ({@link Fanout}) queues its message once per loop, with the loop's recipients in one
 * entry.
 *
 * <p>Coalescing: a loop starts a run at once if its last one began at least {@code pulse.delivery.flush-interval}
 * ago, otherwise when that interval is over. A lone message goes out without delay; under a stream of events, what
 * arrives within the interval shares one socket write per connection. On loopback a small socket write costs several
 * microseconds of kernel time (the receiving side's TCP processing included), more than everything else Pulse does
 * per message, so at high rates this is what the fan-out rate depends on.
 *
 * <p>Order: messages and closes queued for a connection from one thread are written in that order (a close queued
 * after an error message goes out after it).
 *
 * <p>How late the oldest queued write is (past the end of the coalescing wait) is the replica's fan-out backlog:
 * {@link FanoutBudget} refuses new events while it is above {@code pulse.events.max-queue-delay}.
 */
@Singleton
public class WriteQueues {

    /** What the loop does with a queued message; {@link Delivery} is the one implementation. */
    interface Writer {
        /**
         * Hands the message to the connection's socket buffer, unflushed, and records it in {@code run} (the session
         * too, if this is its first message of the run).
         */
        void write(GatewaySession session, OutboundMessage message, WriteRun run);

        /** Ends the run for a connection that got messages in it: the last write and the one flush. */
        void flush(GatewaySession session, WriteRun run);

        /** Ends the run: flushes every connection it wrote to and reports what it wrote. */
        void endRun(WriteRun run);

        /**
         * For a connection whose {@link #flush} failed with {@code failure}: gives up what is left of its run (counted
         * as failed) and its merged frames, so it holds nothing of the run once the run ends.
         */
        void abandon(GatewaySession session, RuntimeException failure);
    }

    private static final Logger LOG = Logger.getLogger(WriteQueues.class);

    /** Few (one per event loop) and found by identity: a scan of an array beats a hash lookup per message. */
    private volatile LoopQueue[] loops = new LoopQueue[0];
    private volatile Writer writer;
    private final long flushIntervalNanos;

    public WriteQueues(PulseConfig config) {
        this.flushIntervalNanos = config.delivery().flushInterval().toNanos();
    }

    void writer(Writer writer) {
        this.writer = writer;
    }

    void write(Channel channel, GatewaySession session, OutboundMessage message) {
        queue(channel).add(session, null, 0, message, null);
    }

    /**
     * Queues one message for {@code count} connections of one event loop as one entry: its run writes them one after
     * the other, in this order, so they get the same messages in the same order as the loop's other fan-outs.
     */
    void writeAll(EventLoop loop, GatewaySession[] sessions, int count, OutboundMessage message) {
        queue(loop).add(null, sessions, count, message, null);
    }

    /** Runs {@code task} on the connection's event loop once what was queued for it before is written. */
    public void afterQueuedWrites(Channel channel, Runnable task) {
        queue(channel).add(null, null, 0, null, task);
    }

    /**
     * How late the oldest write still queued on any event loop is, in nanoseconds; 0 with none queued. A write is due
     * when it is queued, or, within the flush interval of its loop's last run, when that interval ends: the wait for
     * coalescing is chosen, not a backlog, and does not count.
     */
    public long backlogNanos() {
        long now = System.nanoTime();
        long latest = 0;
        for (LoopQueue queue : loops) {
            long due = queue.oldestDueAt;
            if (due != 0) {
                latest = Math.max(latest, now - due);
            }
        }
        return latest;
    }

    private LoopQueue queue(Channel channel) {
        return queue(channel.eventLoop());
    }

    private LoopQueue queue(EventLoop loop) {
        for (LoopQueue queue : loops) {
            if (queue.loop == loop) {
                return queue;
            }
        }
        return addQueue(loop);
    }

    private synchronized LoopQueue addQueue(EventLoop loop) {
        for (LoopQueue queue : loops) {
            if (queue.loop == loop) {
                return queue;
            }
        }
        LoopQueue[] grown = Arrays.copyOf(loops, loops.length + 1);
        grown[loops.length] = new LoopQueue(loop);
        loops = grown;
        return grown[grown.length - 1];
    }

    /**
     * A message for one connection ({@code session}) or for several of the loop ({@code group}, its first
     * {@code groupSize}), or a task. {@code dueAt}: when its loop should write it (System.nanoTime), as
     * {@link #backlogNanos} explains.
     */
    private record Queued(GatewaySession session, GatewaySession[] group, int groupSize, OutboundMessage message,
            Runnable task, long dueAt) {
    }

    /** The queue of one event loop; {@link #run} only ever runs on that loop. */
    private final class LoopQueue implements Runnable {

        /**
         * Writes per run, so reads, timers and other tasks of the loop get their turn during a long fan-out (a run of
         * 16,384 small frames takes about ten milliseconds). Not lower: a run cut short flushes its connections, and
         * the next one flushes them again, so a cap below what one interval brings (a room of 500 per loop at 400
         * events/s and 50 ms is 10,000 writes) costs a socket write per connection for nothing.
         */
        private static final int MAX_WRITES_PER_RUN = 16_384;

        private final EventLoop loop;
        private final Queue<Queued> queue = PlatformDependent.newMpscQueue();
        private final AtomicBoolean scheduled = new AtomicBoolean();
        /** When the oldest queued write was due (System.nanoTime), 0 when none waits. Read by any thread. */
        private volatile long oldestDueAt;
        /** Connections written to in this run, to be flushed at its end, and what it wrote. */
        private final WriteRun run = new WriteRun();
        /** When the last run began (System.nanoTime). */
        private volatile long lastRunAt = System.nanoTime() - flushIntervalNanos;

        LoopQueue(EventLoop loop) {
            this.loop = loop;
        }

        void add(GatewaySession session, GatewaySession[] group, int groupSize, OutboundMessage message,
                Runnable task) {
            long now = System.nanoTime();
            long dueAt = Math.max(now, lastRunAt + flushIntervalNanos);
            queue.offer(new Queued(session, group, groupSize, message, task, dueAt));
            if (oldestDueAt == 0) {
                oldestDueAt = dueAt;
            }
            if (scheduled.compareAndSet(false, true)) {
                long wait = dueAt - now;
                if (wait <= 0) {
                    loop.execute(this);
                } else {
                    loop.schedule(this, wait, TimeUnit.NANOSECONDS);
                }
            }
        }

        @Override
        public void run() {
            // Before polling: a write queued from now on schedules another run, so none is left behind.
            scheduled.set(false);
            lastRunAt = System.nanoTime();
            Writer sink = writer;
            int written = 0;
            Queued queued;
            try {
                while (written < MAX_WRITES_PER_RUN && (queued = queue.poll()) != null) {
                    if (queued.task() != null) {
                        flushTouched(sink);
                        runTask(queued.task());
                    } else if (queued.group() != null) {
                        // A fan-out's entry is written whole, so a run may go past the cap by the loop's share of one
                        // fan-out's recipients (at most the connections the loop holds).
                        GatewaySession[] group = queued.group();
                        for (int i = 0; i < queued.groupSize(); i++) {
                            write(sink, group[i], queued.message());
                        }
                        written += queued.groupSize();
                    } else {
                        write(sink, queued.session(), queued.message());
                        written++;
                    }
                }
            } finally {
                flushTouched(sink);
            }
            Queued next = queue.peek();
            oldestDueAt = next == null ? 0 : next.dueAt();
            if (next == null && (next = queue.peek()) != null) {
                // Queued between the two looks, by a sender that saw the old value and left it.
                oldestDueAt = next.dueAt();
            }
            if (next != null && (written >= MAX_WRITES_PER_RUN || scheduled.compareAndSet(false, true))) {
                // Behind: what waits has waited long enough to be coalesced already. After a full run this goes
                // even if a sender scheduled the next run meanwhile: that one waits for the interval, and a loop
                // with a backlog must not sit idle until then (an extra run finds an empty queue, at worst).
                loop.execute(this);
            }
        }

        private void write(Writer sink, GatewaySession session, OutboundMessage message) {
            try {
                sink.write(session, message, run);
            } catch (RuntimeException e) {
                // One connection's failure must not stop the run, or leave the others written and unflushed.
                LOG.warnf(e, "A write to connection %s failed", session.id());
            }
        }

        private void flushTouched(Writer sink) {
            sink.endRun(run);
        }

        private void runTask(Runnable task) {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.warn("A task queued after writes failed", e);
            }
        }
    }
}

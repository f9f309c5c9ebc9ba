package dev.pulse.gateway.lifecycle;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import dev.pulse.gateway.observability.GatewayMetrics;
import io.micrometer.core.instrument.Tags;
import io.netty.util.concurrent.EventExecutor;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;

/**
 * How long work waits for an event loop, as {@code pulse_event_loop_lag_seconds}: once a second a probe task is queued
 * on every loop, and the gauge reads the longest wait, counting a probe that has not run yet as waiting since it was
 * queued. A loop that is blocked therefore shows a lag that grows by a second a second, before readiness
 * ({@link EventLoopsReadinessCheck}, 2 s) gives up on it; a busy one shows how far behind its connections are.
 *
 * <p>The probes are sent from a thread of their own, not from a Vert.x timer: a timer runs on an event loop and would
 * stop with the loop it should watch.
 */
@ApplicationScoped
public class EventLoopLag {

    private static final long PROBE_EVERY_MILLIS = 1_000;

    private final List<LoopProbe> probes = new ArrayList<>();
    private ScheduledExecutorService sender;

    public EventLoopLag(Vertx vertx, GatewayMetrics metrics) {
        for (EventExecutor loop : vertx.nettyEventLoopGroup()) {
            probes.add(new LoopProbe(loop));
        }
        metrics.gauge("pulse.event.loop.lag", "Longest time a task waited for an event loop in the last second (a"
                + " blocked loop: time since its probe was queued)", Tags.empty(), this::seconds, "seconds");
    }

    void start(@Observes StartupEvent event) {
        sender = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pulse-event-loop-probe");
            thread.setDaemon(true);
            return thread;
        });
        sender.scheduleAtFixedRate(this::probeAll, 0, PROBE_EVERY_MILLIS, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (sender != null) {
            sender.shutdownNow();
        }
    }

    private void probeAll() {
        long now = System.nanoTime();
        probes.forEach(probe -> probe.send(now));
    }

    private double seconds() {
        long now = System.nanoTime();
        long longest = 0;
        for (LoopProbe probe : probes) {
            longest = Math.max(longest, probe.lagNanos(now));
        }
        return longest / 1e9;
    }

    /** One loop's probe: at most one in flight, so a blocked loop's queue does not fill with probes. */
    private static final class LoopProbe {

        private final EventExecutor loop;
        private volatile long queuedAt;
        private volatile long lastLagNanos;

        LoopProbe(EventExecutor loop) {
            this.loop = loop;
        }

        void send(long now) {
            if (queuedAt != 0) {
                return;
            }
            queuedAt = now;
            loop.execute(() -> {
                lastLagNanos = System.nanoTime() - queuedAt;
                queuedAt = 0;
            });
        }

        long lagNanos(long now) {
            long pendingSince = queuedAt;
            return pendingSince == 0 ? lastLagNanos : Math.max(lastLagNanos, now - pendingSince);
        }
    }
}

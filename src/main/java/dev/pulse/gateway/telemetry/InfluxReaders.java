package dev.pulse.gateway.telemetry;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import dev.pulse.gateway.config.PulseConfig;

/**
 * The threads that wait for InfluxDB (its client blocks): {@code pulse.telemetry.poll-concurrency} of them, shared by
 * the poller (tenants read in parallel, so one slow tenant does not hold up the others) and the first reads after a
 * subscribe. Apart from the framework's worker pool on purpose: a slow or unreachable InfluxDB can occupy these, never
 * the threads that verify tokens and run the rest of Pulse.
 */
@ApplicationScoped
public class InfluxReaders {

    private final ExecutorService executor;

    public InfluxReaders(PulseConfig config) {
        AtomicInteger count = new AtomicInteger();
        ThreadFactory threads = runnable -> {
            Thread thread = new Thread(runnable, "pulse-influx-reader-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        this.executor = Executors.newFixedThreadPool(Math.max(1, config.telemetry().pollConcurrency()), threads);
    }

    public ExecutorService executor() {
        return executor;
    }

    /** Runs {@code read} on a reader thread; dropped once Pulse is shutting down (the next start reads afresh). */
    public void execute(Runnable read) {
        try {
            executor.execute(read);
        } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            // nothing to deliver to: the connections are closing
        }
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}

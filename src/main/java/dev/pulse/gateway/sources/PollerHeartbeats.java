package dev.pulse.gateway.sources;

import dev.pulse.gateway.observability.DataSource;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * When each poller last finished a scheduled run (a cycle, a cycle that failed, or a run skipped for back-off). A
 * poller whose run hangs, or whose trigger stopped firing, stops beating: {@link PollersReadinessCheck} reports it.
 */
@ApplicationScoped
public class PollerHeartbeats {

    private final Map<String, AtomicLong> lastBeat = new ConcurrentHashMap<>();

    public PollerHeartbeats() {
        long now = System.nanoTime();
        for (DataSource source : DataSource.values()) {
            lastBeat.put(source.label(), new AtomicLong(now));
        }
    }

    /** The poller of {@code source} finished a run, whatever its outcome. */
    public void beat(DataSource source) {
        lastBeat.computeIfAbsent(source.label(), s -> new AtomicLong()).set(System.nanoTime());
    }

    /** Time since each poller's last run ended (since start-up for one that has not run yet). */
    public Map<String, Duration> ages() {
        long now = System.nanoTime();
        Map<String, Duration> ages = new java.util.TreeMap<>();
        lastBeat.forEach((source, beat) -> ages.put(source, Duration.ofNanos(now - beat.get())));
        return ages;
    }
}

package dev.pulse.gateway.sources;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * The first read for something a client just subscribed to (a device's latest point, a tenant's alert list), kept
 * from multiplying database reads when clients subscribe and unsubscribe in a loop:
 * <ul>
 * <li>when the tenant's latest read of that key (by a poll or an earlier first read) is fresher than one poll
 * interval, the subscriber is served from it and nothing is read;</li>
 * <li>otherwise the key joins the tenant's pending set, and one read per tenant covers every key that joined within
 * the coalescing window: at most one first read per tenant and source per window, whatever the number of
 * subscribes.</li>
 * </ul>
 * Memory: one reading per key read within the last interval ({@link #expire()} drops the rest) and the pending sets.
 * Pure logic; the clock, the timer and the read itself come from the caller.
 *
 * @param <V> what a read finds for a key; null means "nothing there", which is remembered too
 */
public final class FirstReads<V> {

    /** What a read found for a key, and when. */
    public record Reading<V>(V value, long readAtNanos) {
    }

    /** Schedules {@code flush} after {@code delayMillis}. */
    @FunctionalInterface
    public interface Timer {
        void schedule(long delayMillis, Runnable flush);
    }

    private final long freshNanos;
    private final long windowMillis;
    private final Timer timer;
    private final BiConsumer<String, Set<String>> reader;
    private final LongSupplier clock;
    private final Map<String, Map<String, Reading<V>>> recent = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> pending = new ConcurrentHashMap<>();

    /**
     * @param fresh a reading younger than this serves a new subscriber (the poll interval)
     * @param window how long a tenant's first reads wait for others to join them
     * @param reader reads the given keys of a tenant, publishes what it finds and {@link #record}s it
     */
    public FirstReads(Duration fresh, Duration window, Timer timer, BiConsumer<String, Set<String>> reader,
            LongSupplier clock) {
        this.freshNanos = fresh.toNanos();
        this.windowMillis = Math.max(1, window.toMillis());
        this.timer = timer;
        this.reader = reader;
        this.clock = clock;
    }

    /** Remembers what a read of {@code key} found just now ({@code value} null: nothing). */
    public void record(String tenant, String key, V value) {
        recent.computeIfAbsent(tenant, t -> new ConcurrentHashMap<>()).put(key, new Reading<>(value,
                clock.getAsLong()));
    }

    /** The reading of {@code key} if it is fresher than one interval, else null. */
    public Reading<V> fresh(String tenant, String key) {
        Map<String, Reading<V>> readings = recent.get(tenant);
        Reading<V> reading = readings == null ? null : readings.get(key);
        return reading != null && clock.getAsLong() - reading.readAtNanos() < freshNanos ? reading : null;
    }

    /** Asks for a read of {@code key}: joins the tenant's pending read, or starts one that waits for the window. */
    public void request(String tenant, String key) {
        boolean[] first = new boolean[1];
        pending.compute(tenant, (t, keys) -> {
            Set<String> target = keys;
            if (target == null) {
                target = ConcurrentHashMap.newKeySet();
                first[0] = true;
            }
            target.add(key);
            return target;
        });
        if (first[0]) {
            timer.schedule(windowMillis, () -> flush(tenant));
        }
    }

    /** Forgets a tenant's readings (its data changed and the change has not been read yet). */
    public void forget(String tenant) {
        recent.remove(tenant);
    }

    /** Drops readings older than one interval. Called once per poll cycle. */
    public void expire() {
        long now = clock.getAsLong();
        recent.values().forEach(readings -> readings.values().removeIf(r -> now - r.readAtNanos() >= freshNanos));
        recent.values().removeIf(Map::isEmpty);
    }

    /** Readings held now (for tests and the memory bound). */
    public int size() {
        return recent.values().stream().mapToInt(Map::size).sum();
    }

    private void flush(String tenant) {
        Set<String> keys = pending.remove(tenant);
        if (keys != null && !keys.isEmpty()) {
            reader.accept(tenant, keys);
        }
    }
}

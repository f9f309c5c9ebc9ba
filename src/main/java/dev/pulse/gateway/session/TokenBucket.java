package dev.pulse.gateway.session;

/**
 * A token bucket: holds at most {@code capacity} tokens, refills {@code capacity} tokens per {@code periodNanos}, and
 * lets an action through when a token is left. Time comes from the caller, so it is tested without clocks.
 * Thread-safe.
 */
public final class TokenBucket {

    private final double capacity;
    private final double tokensPerNano;
    private double tokens;
    private long lastRefill;

    public TokenBucket(int capacity, long periodNanos, long now) {
        if (capacity <= 0 || periodNanos <= 0) {
            throw new IllegalArgumentException("capacity and period must be positive");
        }
        this.capacity = capacity;
        this.tokensPerNano = capacity / (double) periodNanos;
        this.tokens = capacity;
        this.lastRefill = now;
    }

    /** Takes a token if one is left at {@code now}. */
    public boolean tryTake(long now) {
        return tryTake(now, 1);
    }

    /** Takes {@code count} tokens if that many are left at {@code now} (all or none). */
    public synchronized boolean tryTake(long now, int count) {
        if (now > lastRefill) {
            tokens = Math.min(capacity, tokens + (now - lastRefill) * tokensPerNano);
            lastRefill = now;
        }
        if (tokens >= count) {
            tokens -= count;
            return true;
        }
        return false;
    }

    /** Nanoseconds until a token will be available at {@code now}'s refill rate (0 if one is). */
    public synchronized long nanosUntilToken() {
        return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / tokensPerNano);
    }
}

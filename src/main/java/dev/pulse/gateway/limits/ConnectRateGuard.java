package dev.pulse.gateway.limits;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.enterprise.context.ApplicationScoped;

import dev.pulse.gateway.config.PulseConfig;

/**
 * Bounds how many new connections this replica accepts per second. After a deploy every client reconnects at once;
 * past the bound a connection is closed (1013) with a randomized retry hint, which spreads the storm out instead of
 * letting token verification and initial reads swamp a replica that is just starting.
 */
@ApplicationScoped
public class ConnectRateGuard {

    private final TokenBucket bucket;

    public ConnectRateGuard(PulseConfig config) {
        int perSecond = config.limits().connectsPerSecond();
        this.bucket = perSecond > 0 ? new TokenBucket(perSecond, 1_000_000_000L, System.nanoTime()) : null;
    }

    /** True when a new connection may proceed now. */
    public boolean admit() {
        return bucket == null || bucket.tryTake(System.nanoTime());
    }

    /** A retry delay for a refused connection: when a slot frees up, plus up to a second of jitter. */
    public Duration retryHint() {
        long wait = bucket == null ? 0 : bucket.nanosUntilToken() / 1_000_000;
        return Duration.ofMillis(wait + 250 + ThreadLocalRandom.current().nextLong(1000));
    }
}

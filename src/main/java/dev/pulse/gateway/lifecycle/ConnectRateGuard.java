package dev.pulse.gateway.lifecycle;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.enterprise.context.ApplicationScoped;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.session.TokenBucket;

/**
 * Bounds how many new connections this replica accepts per second. After a deploy every client reconnects at once;
 * past the bound a connection is closed (1013) with a randomized retry hint, which spreads the storm out instead of
 * letting initial reads swamp a replica that is just starting.
 *
 * <p>Only handshakes that authenticated take from that budget: a flood of token-less or forged handshakes must not
 * lock real users out. Failed handshakes have their own, smaller budget, which only decides whether each one is
 * still logged (a flood is counted, not written to the log line by line).
 */
@ApplicationScoped
public class ConnectRateGuard {

    private final TokenBucket authenticated;
    private final TokenBucket failedLogged;

    public ConnectRateGuard(PulseConfig config) {
        this.authenticated = bucket(config.limits().connectsPerSecond());
        this.failedLogged = bucket(config.limits().failedConnectsPerSecond());
    }

    private static TokenBucket bucket(int perSecond) {
        return perSecond > 0 ? new TokenBucket(perSecond, 1_000_000_000L, System.nanoTime()) : null;
    }

    /** True when an authenticated connection may proceed now. */
    public boolean admit() {
        return authenticated == null || authenticated.tryTake(System.nanoTime());
    }

    /** Charges a failed handshake to its own budget; true while it is within it (and should be logged). */
    public boolean chargeFailure() {
        return failedLogged == null || failedLogged.tryTake(System.nanoTime());
    }

    /** A retry delay for a refused connection: when a slot frees up, plus up to a second of jitter. */
    public Duration retryHint() {
        long wait = authenticated == null ? 0 : authenticated.nanosUntilToken() / 1_000_000;
        return Duration.ofMillis(wait + 250 + ThreadLocalRandom.current().nextLong(1000));
    }
}

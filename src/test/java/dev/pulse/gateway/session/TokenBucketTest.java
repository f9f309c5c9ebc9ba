package dev.pulse.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The token bucket behind every rate in Pulse, without Quarkus: time comes from the test. */
class TokenBucketTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void aFullBucketLetsItsCapacityThroughThenRefillsAtItsRate() {
        TokenBucket bucket = new TokenBucket(3, 3 * SECOND, 0);
        assertThat(bucket.tryTake(0)).isTrue();
        assertThat(bucket.tryTake(0)).isTrue();
        assertThat(bucket.tryTake(0)).isTrue();
        assertThat(bucket.tryTake(0)).isFalse();
        assertThat(bucket.nanosUntilToken()).isEqualTo(SECOND);
        assertThat(bucket.tryTake(SECOND - 1)).isFalse();
        assertThat(bucket.tryTake(SECOND)).isTrue();
    }

    @Test
    void itNeverHoldsMoreThanItsCapacity() {
        TokenBucket bucket = new TokenBucket(2, SECOND, 0);
        assertThat(bucket.tryTake(100 * SECOND, 2)).isTrue();
        assertThat(bucket.tryTake(100 * SECOND)).isFalse();
    }

    @Test
    void takingSeveralIsAllOrNothing() {
        TokenBucket bucket = new TokenBucket(5, 5 * SECOND, 0);
        assertThat(bucket.tryTake(0, 4)).isTrue();
        assertThat(bucket.tryTake(0, 2)).isFalse();
        assertThat(bucket.tryTake(0, 1)).isTrue();
    }

    @Test
    void aClockGoingBackwardsDoesNotMintTokens() {
        TokenBucket bucket = new TokenBucket(1, SECOND, 10 * SECOND);
        assertThat(bucket.tryTake(10 * SECOND)).isTrue();
        assertThat(bucket.tryTake(5 * SECOND)).isFalse();
    }

    @Test
    void aBucketWithoutCapacityOrPeriodIsRefused() {
        assertThatThrownBy(() -> new TokenBucket(0, SECOND, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}

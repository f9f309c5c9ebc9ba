package dev.pulse.gateway.sources;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The retry schedule of a failing source, without Quarkus. */
class BackoffTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void aFailingSourceIsRetriedAfterTheIntervalThenTwiceAsLongUpToTheMaximum() {
        Backoff backoff = Backoff.HEALTHY;
        long now = 0;
        long[] expected = { 1, 2, 4, 8, 16, 30, 30 };
        for (long seconds : expected) {
            backoff = backoff.after(true, now, SECOND, 30 * SECOND);
            assertThat(backoff.backoffNanos()).isEqualTo(seconds * SECOND);
            assertThat(backoff.due(now + seconds * SECOND - 1)).isFalse();
            assertThat(backoff.due(now + seconds * SECOND)).isTrue();
            now += seconds * SECOND;
        }
    }

    @Test
    void oneSuccessResetsIt() {
        Backoff backoff = Backoff.HEALTHY.after(true, 0, SECOND, 30 * SECOND).after(true, SECOND, SECOND, 30 * SECOND);
        assertThat(backoff.after(false, 5 * SECOND, SECOND, 30 * SECOND)).isEqualTo(Backoff.HEALTHY);
        assertThat(Backoff.HEALTHY.due(0)).isTrue();
        assertThat(Backoff.HEALTHY.after(true, 0, SECOND, 30 * SECOND).backoffNanos()).isEqualTo(SECOND);
    }

    @Test
    void anIntervalLongerThanTheMaximumIsCappedToo() {
        assertThat(Backoff.HEALTHY.after(true, 0, 60 * SECOND, 30 * SECOND).backoffNanos()).isEqualTo(30 * SECOND);
    }
}

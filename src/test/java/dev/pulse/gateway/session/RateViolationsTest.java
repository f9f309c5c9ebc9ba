package dev.pulse.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.security.GatewayPrincipal;

/** The count of rate violations that leads to 1008 decays with good behaviour, without Quarkus. */
class RateViolationsTest {

    private static final long DECAY = 10_000_000_000L;
    private final GatewaySession session = new GatewaySession("c", null,
            new GatewayPrincipal("t", "s", "customer_viewer", null), "ws", Instant.EPOCH, new TenantCounters());

    @Test
    void anOccasionalOvershootNeverAddsUp() {
        long now = 0;
        for (int i = 0; i < 50; i++) {
            now += DECAY;
            assertThat(session.rateViolation(now, DECAY)).isEqualTo(1);
        }
    }

    @Test
    void sendingAtTwiceTheRateStillReachesTheClose() {
        long now = 0;
        int violations = 0;
        int seconds = 0;
        // Twice the rate at 60 per minute: one refused frame a second.
        while (violations <= 10 && seconds < 60) {
            now += DECAY / 10;
            violations = session.rateViolation(now, DECAY);
            seconds++;
        }
        assertThat(violations).isGreaterThan(10);
        assertThat(seconds).isLessThan(20);
    }

    @Test
    void aFloodClosesWithinItsBurst() {
        int violations = 0;
        for (int i = 0; i < 11; i++) {
            violations = session.rateViolation(1_000 + i, DECAY);
        }
        assertThat(violations).isEqualTo(11);
    }

    @Test
    void theSubscriptionBurstAdmitsAPageLoadThenTheMessageRate() {
        long now = 0;
        for (int i = 0; i < 1050; i++) {
            assertThat(session.trySubscriptionRate(now, 60, 1050, 1)).isTrue();
        }
        assertThat(session.trySubscriptionRate(now, 60, 1050, 1)).isFalse();
        assertThat(session.trySubscriptionRate(now + 1_000_000_000L, 60, 1050, 1)).isTrue();
    }
}

package dev.pulse.gateway.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Scrape;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;

/** {@code pulse_event_loop_lag_seconds} rises while an event loop is blocked and falls back once it runs again. */
@QuarkusTest
class EventLoopLagTest {

    private static final String LAG = "pulse_event_loop_lag_seconds";

    @Inject
    Vertx vertx;

    @Test
    void aBlockedLoopShowsAGrowingLagThatClearsWhenItRunsAgain() throws InterruptedException {
        await().atMost(Duration.ofSeconds(5)).until(() -> Scrape.now().value(LAG) < 0.5);

        CountDownLatch release = new CountDownLatch(1);
        // Blocks one loop on purpose, for at most 1.6 s (under Vert.x's blocked-thread warning and readiness deadline).
        vertx.nettyEventLoopGroup().iterator().next().execute(() -> {
            try {
                release.await(1600, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Scrape.now().value(LAG) >= 0.5);
        } finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> Scrape.now().value(LAG) < 0.5);
        assertThat(Scrape.now().text()).contains("# TYPE " + LAG + " gauge");
    }
}

package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * The connect budget belongs to authenticated clients: a flood of token-less and forged handshakes at three times
 * {@code pulse.limits.connects-per-second} leaves valid clients connecting without 1013, and each bad handshake still
 * gets its own close code.
 */
class ConnectBudgetIT {

    private static final int CONNECTS_PER_SECOND = 10;
    private static final int FLOOD_PER_SECOND = 3 * CONNECTS_PER_SECOND;
    private static final Duration FLOOD = Duration.ofSeconds(4);

    @Test
    void aFloodOfBadHandshakesDoesNotLockValidClientsOut() throws Exception {
        try (PackagedPulse pulse = PackagedPulse.startPackaged("connect-budget-it",
                Map.of("PULSE_LIMITS_CONNECTS_PER_SECOND", Integer.toString(CONNECTS_PER_SECOND)))) {
            String tenant = Tokens.newTenant();
            String genuine = Tokens.sign(Tokens.claims(tenant, "customer_viewer"));
            int at = genuine.length() - 10;
            // One signature character changed (not the last, whose low bits are padding).
            String forged = genuine.substring(0, at) + (genuine.charAt(at) == 'A' ? 'B' : 'A') + genuine.substring(at + 1);
            AtomicInteger sent = new AtomicInteger();
            AtomicInteger badClosedRight = new AtomicInteger();
            AtomicInteger badOther = new AtomicInteger();
            List<String> validOutcomes = new CopyOnWriteArrayList<>();
            ExecutorService flood = Executors.newFixedThreadPool(8);
            ScheduledExecutorService pacer = Executors.newScheduledThreadPool(2);
            // Bad handshakes at three times the budget, half without a token and half with a forged one.
            ScheduledFuture<?> floodTicks = pacer.scheduleAtFixedRate(() -> {
                boolean withToken = sent.getAndIncrement() % 2 == 0;
                flood.submit(() -> {
                    try (WsClient bad = WsClient.connect(pulse.ws("/api/v2/ws", withToken ? forged : ""))) {
                        if (bad.awaitClose().code() == 4001) {
                            badClosedRight.incrementAndGet();
                        } else {
                            badOther.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        badOther.incrementAndGet();
                    }
                });
            }, 0, 1_000_000_000L / FLOOD_PER_SECOND, TimeUnit.NANOSECONDS);
            // Meanwhile valid clients, well within the budget: two a second.
            ScheduledFuture<?> validTicks = pacer.scheduleAtFixedRate(() -> {
                try (WsClient valid = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant)))) {
                    String outcome;
                    try {
                        valid.send(Frames.ping());
                        outcome = valid.await(m -> true, Duration.ofSeconds(5)).path("type").asText();
                    } catch (RuntimeException | AssertionError refused) {
                        outcome = "closed " + (valid.isClosedByServer() ? valid.awaitClose() : refused);
                    }
                    validOutcomes.add(outcome);
                }
            }, 100, 500, TimeUnit.MILLISECONDS);
            pacer.schedule(() -> {
                floodTicks.cancel(false);
                validTicks.cancel(false);
                pacer.shutdown();
            }, FLOOD.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(pacer.awaitTermination(FLOOD.toSeconds() + 30, TimeUnit.SECONDS)).isTrue();
            flood.shutdown();
            assertThat(flood.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

            assertThat(sent.get()).isGreaterThanOrEqualTo((int) (FLOOD_PER_SECOND * FLOOD.toSeconds() * 0.8));
            assertThat(validOutcomes).hasSizeGreaterThanOrEqualTo(6)
                    .containsOnly("pong");
            assertThat(badClosedRight.get()).isEqualTo(sent.get());
            assertThat(badOther.get()).isZero();
            assertThat(Scrape.of(pulse).value("pulse_connections_refused_total", "limit=\"connect_rate\"")).isZero();
        }
    }
}

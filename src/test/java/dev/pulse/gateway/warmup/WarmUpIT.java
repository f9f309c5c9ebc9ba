package dev.pulse.gateway.warmup;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.pulse.gateway.security.WarmUpPasses;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * A packaged replica warms its connect path before it reports ready: its own connections, admitted with one-time
 * passes, subscribe and leave; none stays open, none is logged one by one, no pass is usable afterwards, and a
 * warm-up that cannot finish delays readiness only until {@code pulse.warm-up.timeout}.
 */
class WarmUpIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theReplicaConnectsToItselfBeforeItIsReadyAndLeavesNothingBehind() throws Exception {
        // With allowed origins set, as the k8s ConfigMap sets them (the warm-up's own client sends no Origin), and
        // a connect rate far below the warm-up's (its connections are not what the guard is for).
        // And a PostgreSQL pool of 12, all of which the warm-up opens.
        try (PackagedPulse pulse = PackagedPulse.startPackaged("warm-up-it", Map.of("PULSE_WARM_UP_CONNECTIONS", "200",
                "PULSE_AUTH_ALLOWED_ORIGINS", "https://dashboard.example.com",
                "PULSE_LIMITS_CONNECTS_PER_SECOND", "5", "QUARKUS_DATASOURCE_REACTIVE_MAX_SIZE", "12"))) {
            JsonNode warmUp = warmUpCheck(pulse);
            assertThat(warmUp.path("status").asText()).isEqualTo("UP");
            assertThat(warmUp.path("data").path("connections").asInt()).isEqualTo(200);
            assertThat(warmUp.path("data").path("subscribed").asInt()).isEqualTo(200);
            assertThat(warmUp.path("data").path("token_checks").asInt()).isEqualTo(200);
            assertThat(warmUp.path("data").path("database_connections").asInt()).isEqualTo(12);
            // Twelve sessions of the gateway's role in PostgreSQL (its notification listener's and this query's on
            // top): the pool's connections are open before the first client's read, not one per concurrent read.
            assertThat(Integer.parseInt(Stack.asGateway(null,
                    "SELECT count(*) FROM pg_stat_activity WHERE usename = 'pulse_gateway'").get(0)))
                    .isGreaterThanOrEqualTo(12 + 1);
            // Its own tokens passed the configured issuer, audience and expiry checks: the accepting path ran too.
            assertThat(pulse.log()).contains("Warm-up done in").contains("200 of 200 connections subscribed (0 failed to connect), 200 token checks,"
                    + " 12 of 12 PostgreSQL connections open")
                    .doesNotContain("its own token was refused").doesNotContain("tenant=" + WarmUpPasses.TENANT);

            Awaitility.await("warm-up connections closed").atMost(Duration.ofSeconds(10))
                    .until(() -> Scrape.of(pulse).value("pulse_connections_active") == 0);
            assertThat(Scrape.of(pulse).value("pulse_connections_opened_total")).isEqualTo(200);

            // A token shaped like a pass is an invalid token like any other (WarmUpPassesTest: passes are one-time
            // and revoked).
            try (WsClient forged = WsClient.connect(pulse.ws("/api/v2/ws",
                    "warm-up.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))) {
                assertThat(forged.awaitClose().code()).isEqualTo(4001);
            }
            // Clients connect as usual once the replica is ready.
            try (WsClient client = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(Tokens.newTenant())))) {
                assertThat(client.send(Frames.ping()).next().path("type").asText()).isEqualTo("pong");
            }
        }
    }

    @Test
    void aWarmUpThatCannotFinishDelaysReadinessOnlyUntilItsTimeout() throws Exception {
        try (PackagedPulse pulse = PackagedPulse.launchWithout("warm-up-timeout-it",
                Map.of("PULSE_WARM_UP_CONNECTIONS", "100000000", "PULSE_WARM_UP_TIMEOUT", "6s"))) {
            assertThat(pulse.isAlive()).isTrue();
            JsonNode running = warmUpCheck(pulse);
            assertThat(running.path("status").asText()).isEqualTo("DOWN");
            assertThat(pulse.status("/q/health/ready")).isEqualTo(503);

            Awaitility.await("ready once the warm-up's time is up").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(200)).until(() -> pulse.status("/q/health/ready") == 200);
            JsonNode ended = warmUpCheck(pulse);
            assertThat(ended.path("status").asText()).isEqualTo("UP");
            assertThat(ended.path("data").path("subscribed").asInt()).isPositive().isLessThan(100_000_000);
            Awaitility.await("the warm-up's summary line").atMost(Duration.ofSeconds(10))
                    .until(() -> pulse.log().contains("Warm-up done in"));
            Awaitility.await("warm-up connections closed").atMost(Duration.ofSeconds(10))
                    .until(() -> Scrape.of(pulse).value("pulse_connections_active") == 0);
        }
    }

    private static JsonNode warmUpCheck(PackagedPulse pulse) throws Exception {
        for (JsonNode check : JSON.readTree(pulse.body("/q/health/ready")).path("checks")) {
            if (check.path("name").asText().equals("warm-up")) {
                return check;
            }
        }
        throw new AssertionError("no warm-up check in " + pulse.body("/q/health/ready"));
    }
}

package dev.pulse.gateway.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * SIGTERM to the packaged application, as Kubernetes sends it: readiness turns DOWN first while liveness stays UP,
 * new connections are refused, then every client gets 1001 with its own reconnect hint, and the process exits well
 * within the grace period.
 */
class GracefulShutdownIT {

    private static final Pattern HINT = Pattern.compile("Server restarting; reconnect in (\\d+) ms");
    private static final Duration DELAY = Duration.ofSeconds(3);

    @Test
    void sigtermDrainsReadinessThenClosesEveryClientWith1001AndAReconnectHint() {
        try (PackagedPulse pulse = PackagedPulse.startPackaged("graceful-shutdown-it",
                Map.of("QUARKUS_SHUTDOWN_DELAY", DELAY.toSeconds() + "s"))) {
            String tenant = Tokens.newTenant();
            List<WsClient> clients = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                WsClient client = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant)));
                assertThat(client.send(Frames.ping()).next().path("type").asText()).isEqualTo("pong");
                clients.add(client);
            }

            long signalled = System.nanoTime();
            pulse.terminate();

            Awaitility.await("readiness DOWN").atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50))
                    .until(() -> pulse.status("/q/health/ready") == 503);
            assertThat(pulse.status("/q/health/live")).isEqualTo(200);
            assertThat(clients).noneMatch(WsClient::isClosedByServer);

            // A client arriving while the replica drains is sent elsewhere at once.
            try (WsClient late = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant)))) {
                WsClient.Close refused = late.awaitClose();
                assertThat(refused.code()).isEqualTo(1001);
                assertThat(refused.reason()).matches(HINT);
            }

            Set<Long> hints = new HashSet<>();
            for (WsClient client : clients) {
                JsonNode reconnect = client.awaitType("reconnect");
                WsClient.Close close = client.awaitClose();
                assertThat(reconnect.path("code").asInt()).isEqualTo(1001);
                assertThat(reconnect.path("reason").asText()).isEqualTo(close.reason());
                assertThat(close.code()).isEqualTo(1001);
                Matcher hint = HINT.matcher(close.reason());
                assertThat(hint.matches()).as(close.reason()).isTrue();
                long millis = Long.parseLong(hint.group(1));
                assertThat(reconnect.path("retry_after_ms").asLong()).isEqualTo(millis);
                assertThat(millis).isBetween(500L, 10_500L);
                hints.add(millis);
            }
            // Each client gets its own delay, so they do not all come back in the same instant.
            assertThat(hints).hasSizeGreaterThan(1);

            OptionalInt exit = pulse.awaitExit(Duration.ofSeconds(15));
            Duration took = Duration.ofNanos(System.nanoTime() - signalled);
            assertThat(exit).as("exited; log:%n%s", pulse.log()).isPresent();
            assertThat(took).isLessThan(DELAY.plusSeconds(5));
            assertThat(pulse.log()).contains("closing 5 connections with 1001")
                    .doesNotContain("Timed out waiting for graceful shutdown");
            clients.forEach(WsClient::close);
        }
    }
}

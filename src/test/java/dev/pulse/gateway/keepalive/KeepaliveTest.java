package dev.pulse.gateway.keepalive;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.registry.RegistryStatistics;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Quiet;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.RawWsClient;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** Server pings, pong timeout and idle timeout, with short intervals so the test runs in seconds. */
@QuarkusTest
@TestProfile(KeepaliveTest.FastKeepalive.class)
class KeepaliveTest extends QuietRegistryTest {

    public static class FastKeepalive implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pulse.keepalive.ping-interval", "1s",
                    "pulse.keepalive.pong-timeout", "3s",
                    "pulse.keepalive.idle-timeout", "2s");
        }
    }

    private static final String SUBSCRIBE = Frames.subscribeDevice("d1");

    @Inject
    RegistryStatistics statistics;

    @Test
    void aPeerThatAnswersNoPingIsClosedWith4010AndForgotten() {
        double before = Scrape.now().value("pulse_keepalive_closed_total", "reason=\"ping_timeout\"");
        try (RawWsClient silent = RawWsClient.open("/api/v2/ws?token=" + Tokens.valid(Tokens.newTenant()))) {
            assertThat(silent.status()).isEqualTo(101);
            silent.sendText(SUBSCRIBE); // subscribed, so only the missing pongs can close it
            boolean pinged = false;
            int code;
            while (true) {
                RawWsClient.Frame frame = silent.readFrame(Duration.ofSeconds(10));
                assertThat(frame).as("the server closed without a close frame").isNotNull();
                if (frame.opcode() == 9) {
                    pinged = true;
                } else if (frame.opcode() == 8) {
                    code = frame.code();
                    break;
                }
            }
            assertThat(pinged).as("the server pinged before giving up").isTrue();
            assertThat(code).isEqualTo(4010);
        }
        Quiet.awaitEmpty(registry);
        assertThat(statistics.deviceSubscriptionCount()).isZero();
        assertThat(Scrape.now().value("pulse_keepalive_closed_total", "reason=\"ping_timeout\"")).isEqualTo(before + 1);
    }

    @Test
    void aClientThatAnswersPingsStaysOpenPastThePongTimeout() {
        try (WsClient live = WsClient.connect(Endpoints.apiV2(Tokens.valid(Tokens.newTenant())))) {
            live.send(SUBSCRIBE).awaitType("subscribed");
            Awaitility.await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(7))
                    .until(() -> !live.isClosedByServer());
            assertThat(live.send(Frames.ping()).awaitType("pong")).isNotNull();
        }
    }

    @Test
    void aConnectionWithNothingToWatchAndNoTrafficIsClosedWith4011() {
        double before = Scrape.now().value("pulse_keepalive_closed_total", "reason=\"idle\"");
        try (WsClient idle = WsClient.connect(Endpoints.apiV2(Tokens.valid(Tokens.newTenant())));
                WsClient watching = WsClient.connect(Endpoints.apiV2(Tokens.valid(Tokens.newTenant())))) {
            watching.send(SUBSCRIBE).awaitType("subscribed");
            assertThat(idle.awaitClose()).isEqualTo(new WsClient.Close(4011, "Idle timeout"));
            // The one with a subscription is not idle, though it sends nothing either.
            assertThat(watching.isClosedByServer()).isFalse();
            assertThat(watching.send(Frames.ping()).awaitType("pong")).isNotNull();
        }
        assertThat(Scrape.now().value("pulse_keepalive_closed_total", "reason=\"idle\"")).isEqualTo(before + 1);
    }
}

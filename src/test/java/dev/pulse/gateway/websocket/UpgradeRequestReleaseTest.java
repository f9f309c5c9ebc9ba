package dev.pulse.gateway.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.ext.web.RoutingContext;

/**
 * An open connection keeps nothing of the HTTP request it was upgraded from (the request, its headers and the
 * {@code ?token=} query were a third of an idle connection's heap while websockets-next held them): the request's
 * routing context becomes garbage once the connection is open, and the connection works on.
 */
@QuarkusTest
class UpgradeRequestReleaseTest extends QuietRegistryTest {

    @Inject
    UpgradeRequests upgrades;

    @Test
    void theUpgradeRequestIsCollectableWhileTheConnectionStaysOpen() {
        for (String path : new String[] { "/api/v2/ws", "/ws", "/ws/rooms/lobby" }) {
            String probe = UUID.randomUUID().toString();
            URI uri = URI.create(Endpoints.uri(path, Tokens.valid(Tokens.newTenant())) + "&probe=" + probe);
            try (WsClient client = WsClient.connect(uri)) {
                client.send(Frames.subscribeAlerts()).awaitType("subscribed");
                WeakReference<RoutingContext> upgrade = upgrades.probed(probe);
                assertThat(upgrade).as("the upgrade request of " + path).isNotNull();

                Awaitility.await("the upgrade request of " + path + " collected").atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(200)).until(() -> {
                            System.gc();
                            return upgrade.get() == null;
                        });

                assertThat(client.send(Frames.ping()).awaitType("pong")).isNotNull();
                assertThat(client.isClosedByServer()).isFalse();
            } finally {
                upgrades.forget(probe);
            }
        }
    }
}

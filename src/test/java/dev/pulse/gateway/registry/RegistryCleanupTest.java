package dev.pulse.gateway.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.registry.RegistryStatistics;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.OpenConnections;
import io.quarkus.test.junit.QuarkusTest;

/** Every way a connection ends (client close, abrupt drop, server close) removes everything it held. */
@QuarkusTest
class RegistryCleanupTest extends QuietRegistryTest {

    private static final int CONNECTIONS = 60;

    @Inject
    RegistryStatistics statistics;

    @Inject
    OpenConnections openConnections;

    @Inject
    dev.pulse.gateway.websocket.OpeningConnections opening;

    @Test
    void manyConnectionsEndingInEveryWayLeaveTheRegistryEmpty() {
        List<String> tenants = List.of(Tokens.newTenant(), Tokens.newTenant(), Tokens.newTenant());
        List<WsClient> clients = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenants.get(i % tenants.size()))));
            clients.add(client);
            client.send("{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"dev-" + (i % 7) + "\"}");
            client.send("{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"own-" + i + "\"}");
            if (i % 2 == 0) {
                client.send(Frames.subscribeAlerts());
            }
        }
        for (WsClient client : clients) {
            client.send(Frames.ping()).awaitType("pong");
        }
        assertThat(registry.connectionCount()).isEqualTo(CONNECTIONS);
        assertThat(statistics.deviceSubscriptionCount()).isEqualTo(2 * CONNECTIONS);
        assertThat(statistics.alertSubscriptionCount()).isEqualTo(CONNECTIONS / 2);

        // A third closes normally, a third drops without a close handshake, a third is closed by the server.
        for (int i = 0; i < CONNECTIONS; i++) {
            switch (i % 3) {
                case 0 -> clients.get(i).close();
                case 1 -> clients.get(i).abort();
                default -> { }
            }
        }
        openConnections.forEach(connection -> {
            // Whatever is still open is closed by the server; closing one that a client is closing too is harmless.
            if (registry.session(connection).isPresent() && !connection.isClosed()) {
                connection.close(new CloseReason(1001, "test server close"))
                        .onFailure().recoverWithNull().await().indefinitely();
            }
        });

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(registry.connectionCount()).isZero();
            assertThat(statistics.deviceSubscriptionCount()).isZero();
            assertThat(statistics.alertSubscriptionCount()).isZero();
            assertThat(registry.tenantCount()).isZero();
            assertThat(opening.size()).isZero();
        });
        for (int i = 2; i < CONNECTIONS; i += 3) {
            assertThat(clients.get(i).awaitClose().code()).isEqualTo(1001);
        }
        clients.forEach(WsClient::close);
    }
}

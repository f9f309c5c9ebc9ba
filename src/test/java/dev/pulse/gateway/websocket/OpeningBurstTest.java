package dev.pulse.gateway.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Clients that subscribe the moment their socket opens, many at once: each frame races the token check and the
 * registration of its connection, which run on a worker thread. Every one of them is answered. (The narrowest of those
 * races, a frame offered just after its connection's replay ended, is pinned down deterministically in
 * {@link OpeningConnectionsTest}; here it is one of many interleavings a burst produces.)
 */
@QuarkusTest
class OpeningBurstTest extends QuietRegistryTest {

    private static final int CLIENTS = 200;

    @Test
    void everyClientThatSubscribesAsItConnectsIsConfirmed() throws Exception {
        String tenant = Tokens.newTenant();
        ExecutorService connecting = Executors.newFixedThreadPool(16);
        List<Future<WsClient>> opened = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            String token = Tokens.claims(tenant, "customer_viewer").subject("burst-" + i).sign();
            String device = "dev-" + i;
            opened.add(connecting.submit(() -> WsClient.connect(Endpoints.apiV2(token))
                    .send(Frames.subscribeDevice(device))));
        }
        List<WsClient> clients = new ArrayList<>();
        try {
            for (Future<WsClient> client : opened) {
                clients.add(client.get());
            }
            for (int i = 0; i < CLIENTS; i++) {
                JsonNode subscribed = clients.get(i).awaitType("subscribed");
                assertThat(subscribed.toString()).as("client " + i).contains("dev-" + i);
            }
        } finally {
            clients.forEach(WsClient::close);
            connecting.shutdownNow();
        }
    }
}

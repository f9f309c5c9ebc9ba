package dev.pulse.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Quiet;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.restassured.path.json.JsonPath;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Two tenants that use the same device ids and room names, three clients each on the three endpoints, run a random
 * sequence of every client action (subscribe and unsubscribe devices, alerts and event types, join and leave rooms,
 * info) interleaved with data produced for both tenants (InfluxDB points, PostgreSQL alerts, broadcasts, some naming
 * the other tenant in their body) and statistics reads. Everything a client receives is marked with its owner; no
 * client ever receives anything of the other tenant, and each tenant's statistics count only its own connections and
 * rooms.
 *
 * <p>
 * Random but reproducible: the seed is printed; {@code -Dpulse-test.isolation-seed=N} replays it.
 */
@QuarkusTest
class CrossTenantSequenceTest {

    private static final List<String> DEVICES = List.of("d-1", "d-2", "d-3");
    private static final List<String> ROOMS = List.of("r-1", "r-2");
    private static final List<String> EVENT_TYPES = List.of("reading", "notice");
    private static final int STEPS = 300;

    /**
     * One client, its tenant, the other tenant, the rooms it is in (the model the statistics are checked against) and
     * every room it has been in (an event sent just before a leave may still arrive after it).
     */
    private record Client(String tenant, String other, String endpoint, WsClient ws, Set<String> rooms,
            Set<String> everJoined) {

        Client(String tenant, String other, String endpoint, WsClient ws, Set<String> rooms) {
            this(tenant, other, endpoint, ws, rooms, new HashSet<>(rooms));
        }
    }

    @Inject
    ConnectionRegistry registry;

    private Random random;
    private long seed;
    private int produced;
    private final Map<String, Integer> checked = new HashMap<>();

    @BeforeEach
    void seeded() {
        Quiet.awaitEmpty(registry);
        seed = Long.getLong("pulse-test.isolation-seed", System.nanoTime());
        random = new Random(seed);
        System.out.println("CrossTenantSequenceTest seed: " + seed + " (replay with -Dpulse-test.isolation-seed="
                + seed + ")");
    }

    @Test
    void noSequenceOfActionsShowsATenantAnythingOfAnother() {
        List<String> tenants = List.of(Tokens.newTenant(), Tokens.newTenant());
        List<Client> clients = new ArrayList<>();
        try {
            for (String tenant : tenants) {
                String other = tenants.get(0).equals(tenant) ? tenants.get(1) : tenants.get(0);
                clients.add(new Client(tenant, other, "ws", WsClient.connect(Endpoints.ws(Tokens.valid(tenant))),
                        new HashSet<>()));
                clients.add(new Client(tenant, other, "api",
                        WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant))), new HashSet<>()));
                WsClient inRoom = WsClient.connect(Endpoints.uri("/ws/rooms/r-1", Tokens.valid(tenant)));
                inRoom.awaitType("joined");
                clients.add(new Client(tenant, other, "room", inRoom, new HashSet<>(Set.of("r-1"))));
            }

            for (int step = 0; step < STEPS; step++) {
                switch (random.nextInt(8)) {
                    case 0, 1 -> produce(tenants.get(random.nextInt(2)));
                    case 2 -> checkStats(tenants.get(random.nextInt(2)), clients);
                    default -> act(clients.get(random.nextInt(clients.size())));
                }
            }

            // Not vacuous: every client now wants everything, both tenants produce one of each, and each arrives.
            for (Client client : clients) {
                client.ws().send(deviceAction("subscribe", "d-1")).awaitType("subscribed");
                client.ws().send(Frames.subscribeAlerts()).awaitType("subscribed");
                client.ws().send(eventFilter("unsubscribe", "[\"reading\",\"notice\"]")).awaitType("unsubscribed");
            }
            Map<String, Long> alerts = new HashMap<>();
            for (String tenant : tenants) {
                writePoint(tenant, "d-1", "final");
                alerts.put(tenant, Stack.insertAlert(tenant, "d-1", "final", "OPEN", owner(tenant)));
                Broadcasts.publish(tenant, "{\"event_type\":\"final\",\"data\":{\"owner\":\"" + tenant + "\"}}");
            }
            for (Client client : clients) {
                WsClient ws = client.ws();
                assertOwned(client, ws.await(m -> isTelemetry(m) && "final".equals(m.path("data").path("metrics")
                        .path("marker").asText())));
                assertOwned(client, ws.await(m -> "alerts".equals(m.path("type").asText())
                        && m.path("alerts").findValues("id").stream()
                                .anyMatch(id -> id.asLong() == alerts.get(client.tenant()))));
                assertOwned(client, ws.await(m -> "event".equals(m.path("type").asText())
                        && "final".equals(m.path("event_type").asText())));
            }

            // Everything else each client received, up to now.
            for (Client client : clients) {
                List<JsonNode> received = client.ws().everythingBeforePong();
                received.addAll(client.ws().drain());
                received.forEach(message -> assertOwned(client, message));
            }
            tenants.forEach(tenant -> checkStats(tenant, clients));
            System.out.println("CrossTenantSequenceTest checked messages by type: " + checked);
        } finally {
            clients.forEach(client -> client.ws().close());
        }
    }

    /** One random client action; replies are awaited so the model stays exact. */
    private void act(Client client) {
        WsClient ws = client.ws();
        String device = DEVICES.get(random.nextInt(DEVICES.size()));
        String room = ROOMS.get(random.nextInt(ROOMS.size()));
        switch (random.nextInt(9)) {
            case 0, 1 -> ws.send(deviceAction("subscribe", device)).awaitType("subscribed");
            case 2 -> ws.send(deviceAction("unsubscribe", device)).awaitType("unsubscribed");
            case 3 -> ws.send("{\"action\":\"" + (random.nextBoolean() ? "subscribe" : "unsubscribe")
                    + "\",\"type\":\"alerts\"}").await(m -> m.path("type").asText().endsWith("subscribed"));
            case 4 -> {
                ws.send("{\"action\":\"join\",\"room\":\"" + room + "\"}").awaitType("joined");
                client.rooms().add(room);
                client.everJoined().add(room);
            }
            case 5 -> {
                ws.send("{\"action\":\"leave\",\"room\":\"" + room + "\"}").awaitType("left");
                client.rooms().remove(room);
            }
            case 6 -> {
                String filter = random.nextBoolean() ? "[\"" + EVENT_TYPES.get(random.nextInt(2)) + "\"]"
                        : "[\"reading\",\"notice\"]";
                ws.send(eventFilter("subscribe", filter)).awaitType("subscribed");
            }
            case 7 -> ws.send(eventFilter("unsubscribe", "[\"" + EVENT_TYPES.get(random.nextInt(2)) + "\"]"))
                    .awaitType("unsubscribed");
            default -> {
                JsonNode info = ws.send(Frames.info()).awaitType("info").path("data");
                assertThat(info.path("tenant").asText()).as(seedNote()).isEqualTo(client.tenant());
                List<String> rooms = new ArrayList<>();
                info.path("rooms").forEach(r -> rooms.add(r.asText()));
                assertThat(rooms).as(seedNote()).containsExactlyInAnyOrderElementsOf(client.rooms());
            }
        }
    }

    /** Data for {@code tenant}, marked with its owner; broadcasts sometimes name the other tenant in their body. */
    private void produce(String tenant) {
        String device = DEVICES.get(random.nextInt(DEVICES.size()));
        switch (random.nextInt(3)) {
            case 0 -> writePoint(tenant, device, "step");
            case 1 -> Stack.insertAlert(tenant, device, "step", "OPEN", owner(tenant));
            default -> {
                String room = random.nextInt(3) == 0 ? ""
                        : ",\"room\":\"" + ROOMS.get(random.nextInt(ROOMS.size())) + "\"";
                // A body that claims another tenant: the tenant is the token's, never the body's.
                String hostile = random.nextBoolean() ? ",\"tenant_id\":\"someone-else\",\"tenant\":\"someone-else\""
                        : "";
                Broadcasts.publish(tenant, "{\"event_type\":\"" + EVENT_TYPES.get(random.nextInt(2)) + "\"" + room
                        + hostile + ",\"data\":{\"owner\":\"" + tenant + "\"}}");
            }
        }
    }

    /** The tenant's statistics count exactly its own three connections and its own room memberships. */
    private void checkStats(String tenant, List<Client> clients) {
        JsonPath stats = given().header("Authorization", "Bearer " + Tokens.claims(tenant, "customer_admin").sign())
                .get("/ws/stats").then().statusCode(200).extract().jsonPath();
        assertThat(stats.getString("tenant")).isEqualTo(tenant);
        assertThat(stats.getInt("active_connections")).as(seedNote()).isEqualTo(3);
        Map<String, Integer> expectedRooms = new HashMap<>();
        clients.stream().filter(c -> c.tenant().equals(tenant))
                .forEach(c -> c.rooms().forEach(room -> expectedRooms.merge(room, 1, Integer::sum)));
        Map<String, Integer> rooms = stats.getMap("rooms");
        assertThat(rooms).as(seedNote()).isEqualTo(expectedRooms);
    }

    private void writePoint(String tenant, String device, String marker) {
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS).plusMillis(produced++);
        Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=" + device + " owner=\"" + tenant
                + "\",marker=\"" + marker + "\",value=" + random.nextInt(100) + " " + Stack.nanos(time));
    }

    /** Nothing a client receives mentions the other tenant; every push is marked with the client's own. */
    private void assertOwned(Client client, JsonNode message) {
        String type = message.path("type").asText();
        String note = seedNote() + ": " + client.endpoint() + " of " + client.tenant() + " got " + message;
        assertThat(message.toString()).as(note).doesNotContain(client.other());
        checked.merge(type, 1, Integer::sum);
        switch (type) {
            case "telemetry" -> assertThat(message.path("data").path("metrics").path("owner").asText()).as(note)
                    .isEqualTo(client.tenant());
            case "alerts" -> message.path("alerts").forEach(alert -> assertThat(alert.path("summary").asText())
                    .as(note).isEqualTo(owner(client.tenant())));
            case "event" -> {
                assertThat(message.path("data").path("owner").asText()).as(note).isEqualTo(client.tenant());
                if (message.hasNonNull("room")) {
                    assertThat(client.everJoined()).as(note).contains(message.path("room").asText());
                }
            }
            default -> {
                // Replies and status messages: covered by the check above.
            }
        }
    }

    private static boolean isTelemetry(JsonNode message) {
        return "telemetry".equals(message.path("type").asText());
    }

    private static String owner(String tenant) {
        return "owner " + tenant;
    }

    /** Narrows ({@code subscribe}) or widens ({@code unsubscribe}) the event types; an empty filter means all. */
    private static String eventFilter(String action, String types) {
        return "{\"action\":\"" + action + "\",\"data\":{\"event_types\":" + types + "}}";
    }

    private static String deviceAction(String action, String device) {
        return "{\"action\":\"" + action + "\",\"type\":\"device\",\"device_id\":\"" + device + "\"}";
    }

    private String seedNote() {
        return "seed " + seed;
    }
}

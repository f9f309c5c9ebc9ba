package dev.pulse.gateway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * Messages that share a write run (published within one flush interval) reach the client whole and in order, whether
 * they are small enough to be merged into one buffer with the others of their run or too large for that, and whatever
 * characters they carry.
 */
@QuarkusTest
@TestProfile(WriteRunsTest.LongRuns.class)
class WriteRunsTest extends QuietRegistryTest {

    /** A long interval: everything published after the first event shares the next run. */
    public static class LongRuns implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pulse.delivery.flush-interval", "1s");
        }
    }

    /** Above the size up to which frames are merged. */
    private static final String LARGE = "L".repeat(5_000);
    private static final String TEXT = "Grüße, 温度 ↑ 😀 \\\" end";

    @Test
    void smallAndLargeMessagesOfOneRunArriveWholeAndInOrder() {
        String tenant = Tokens.newTenant();
        try (WsClient client = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)))) {
            client.send(Frames.join("r")).awaitType("joined");
            int count = 14;
            for (int sequence = 0; sequence < count; sequence++) {
                assertThat(Broadcasts.publish(tenant, event(sequence))).isEqualTo(1);
            }
            for (int sequence = 0; sequence < count; sequence++) {
                JsonNode data = client.awaitType("event").path("data");
                assertThat(data.path("seq").asInt()).isEqualTo(sequence);
                assertThat(data.path("text").asText()).isEqualTo(padding(sequence) + TEXT);
            }
        }
    }

    /**
     * Members of two rooms and of one share a run: the frames they have in common are merged once for each event
     * loop's run, and a member whose messages part from the others' (an event of the second room between two of the
     * first) still gets exactly its own messages, whole and in order, as does every other member.
     */
    @Test
    void membersWhoseMessagesPartWithinARunEachGetExactlyTheirOwnInOrder() {
        String tenant = Tokens.newTenant();
        List<WsClient> both = new ArrayList<>();
        List<WsClient> first = new ArrayList<>();
        try {
            // Two of each in turn: whichever loop the first lands on, each event loop gets members of both kinds.
            for (int i = 0; i < 8; i++) {
                WsClient client = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)));
                client.send(Frames.join("r")).awaitType("joined");
                if (i % 4 < 2) {
                    client.send(Frames.join("s")).awaitType("joined");
                    both.add(client);
                } else {
                    first.add(client);
                }
            }
            List<String> published = List.of("r0", "r1", "s0", "r2", "s1", "s2", "r3", "r4");
            for (String name : published) {
                String room = name.substring(0, 1);
                String event = "{\"event_type\":\"run\",\"room\":\"" + room + "\",\"data\":{\"name\":\"" + name
                        + "\",\"text\":\"" + name + " " + TEXT.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}}";
                assertThat(Broadcasts.publish(tenant, event)).isEqualTo(room.equals("r") ? 8 : 4);
            }
            for (WsClient client : both) {
                assertThat(received(client, published.size())).containsExactlyElementsOf(published);
            }
            List<String> onlyFirst = published.stream().filter(name -> name.startsWith("r")).toList();
            for (WsClient client : first) {
                assertThat(received(client, onlyFirst.size())).containsExactlyElementsOf(onlyFirst);
            }
        } finally {
            both.forEach(WsClient::close);
            first.forEach(WsClient::close);
        }
    }

    /**
     * A run with more small frames than one shared buffer holds (60 of about 900 bytes, the buffer 16 KiB): members go
     * on in the next buffer, and each still gets every event whole and in order.
     */
    @Test
    void aRunLargerThanOneSharedBufferReachesEveryMemberWholeAndInOrder() {
        String tenant = Tokens.newTenant();
        List<WsClient> members = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                WsClient client = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)));
                client.send(Frames.join("r")).awaitType("joined");
                members.add(client);
            }
            List<String> published = new ArrayList<>();
            String filler = "f".repeat(400);
            for (int i = 0; i < 60; i++) {
                String name = "e" + i + "-" + filler;
                published.add(name);
                assertThat(Broadcasts.publish(tenant, "{\"event_type\":\"run\",\"room\":\"r\",\"data\":{\"name\":\""
                        + name + "\",\"text\":\"" + name + " " + TEXT.replace("\\", "\\\\").replace("\"", "\\\"")
                        + "\"}}")).isEqualTo(4);
            }
            for (WsClient client : members) {
                assertThat(received(client, published.size())).containsExactlyElementsOf(published);
            }
        } finally {
            members.forEach(WsClient::close);
        }
    }

    /** The next {@code count} events' names, each checked whole. */
    private static List<String> received(WsClient client, int count) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            JsonNode data = client.awaitType("event").path("data");
            String name = data.path("name").asText();
            assertThat(data.path("text").asText()).isEqualTo(name + " " + TEXT);
            names.add(name);
        }
        return names;
    }

    @Test
    void aCloseQueuedAfterMergedMessagesReachesTheClientAfterThem() {
        String tenant = Tokens.newTenant();
        try (WsClient client = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)))) {
            client.send(Frames.join("r")).awaitType("joined");
            int count = 6;
            for (int sequence = 0; sequence < count; sequence++) {
                assertThat(Broadcasts.publish(tenant, event(sequence))).isEqualTo(1);
            }
            // Within the same interval: the close for an oversized message is queued behind the events.
            client.send("{\"action\":\"ping\",\"pad\":\"" + "x".repeat(70_000) + "\"}");
            for (int sequence = 0; sequence < count; sequence++) {
                assertThat(client.awaitType("event").path("data").path("seq").asInt()).isEqualTo(sequence);
            }
            assertThat(client.awaitClose().code()).isEqualTo(1009);
        }
    }

    /** Mostly small events; the 5th and the 9th and 10th too large to be merged, so merged runs surround them. */
    private static String event(int sequence) {
        return "{\"event_type\":\"run\",\"room\":\"r\",\"data\":{\"seq\":" + sequence + ",\"text\":\""
                + padding(sequence) + TEXT.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}}";
    }

    private static String padding(int sequence) {
        return sequence == 4 || sequence == 8 || sequence == 9 ? LARGE : "";
    }
}

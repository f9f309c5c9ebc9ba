package dev.pulse.gateway.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.TreeMap;
import java.util.logging.Level;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.pulse.gateway.registry.RegistryStatistics;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.LogCapture;
import dev.pulse.gateway.support.Quiet;
import dev.pulse.gateway.support.RawWsClient;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Throws many random and malformed frames and handshakes at the server from raw sockets: mutated protocol messages,
 * random bytes, invalid UTF-8, deep and huge JSON, non-object JSON, binary and reserved frames, broken fragmentation,
 * sockets cut mid-frame. Garbage that can be answered is answered with an error and the connection still answers a
 * ping; garbage that breaks the WebSocket protocol closes it with the exact code (1002, 1007, 1009); every message the
 * server sends is a well-formed JSON object; nothing is logged as an error; and afterwards a normal client is served
 * and the registry holds only live connections.
 *
 * <p>
 * The sequence is random but reproducible: the seed is printed, and {@code -Dpulse-test.fuzz-seed=N} replays it.
 */
@QuarkusTest
class FrameFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONNECTIONS = 60;
    private static final int FRAMES_PER_CONNECTION = 12;
    private static final List<String> VALID = List.of(
            Frames.ping(),
            Frames.info(),
            Frames.subscribeDevice("dev-1"),
            Frames.unsubscribeDevice("dev-1"),
            Frames.subscribeAlerts(),
            Frames.unsubscribeAlerts(),
            "{\"action\":\"subscribe\",\"data\":{\"event_types\":[\"a\",\"b\"]}}",
            Frames.join("lobby"),
            Frames.leave("lobby"),
            "{\"action\":\"refresh\",\"token\":\"abc.def.ghi\"}");
    private static final String PALETTE = "{}[]\":,\\ \t\n0123456789-+.eE\u0000\u00e9\u4e2d\ud83d\ude00abcnultrfs";

    @Inject
    ConnectionRegistry registry;

    @Inject
    RegistryStatistics statistics;

    private Random random;
    private long seed;

    @BeforeEach
    void seeded() {
        Quiet.awaitEmpty(registry);
        seed = Long.getLong("pulse-test.fuzz-seed", System.nanoTime());
        random = new Random(seed);
        System.out.println("FrameFuzzTest seed: " + seed + " (replay with -Dpulse-test.fuzz-seed=" + seed + ")");
    }

    @Test
    void randomAndMalformedFramesNeverCrashLeakOrCorruptTheServer() throws Exception {
        String tenant = Tokens.newTenant();
        Map<String, Integer> outcomes = new TreeMap<>();
        Scrape before = Scrape.now();
        try (LogCapture log = LogCapture.start()) {
            for (int i = 0; i < CONNECTIONS; i++) {
                outcomes.merge(fuzzOneConnection(tenant), 1, Integer::sum);
            }
            for (int i = 0; i < 20; i++) {
                outcomes.merge(fuzzOneHandshake(tenant), 1, Integer::sum);
            }
            System.out.println("FrameFuzzTest outcomes: " + outcomes);
            // Every protocol close is counted under its code.
            for (int code : List.of(1002, 1007, 1009)) {
                String label = "code=\"" + code + "\"";
                double expected = before.value("pulse_frames_rejected_total", label)
                        + outcomes.getOrDefault("closed " + code, 0);
                Awaitility.await().atMost(Duration.ofSeconds(10))
                        .until(() -> Scrape.now().value("pulse_frames_rejected_total", label) == expected);
            }

            // Only live connections remain: every fuzzed socket is closed now.
            Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> registry.connectionCount() == 0);
            assertThat(statistics.deviceSubscriptionCount()).isZero();
            assertThat(statistics.roomMembershipCount()).isZero();

            // And a normal client is served in full.
            try (WsClient client = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)))) {
                client.send(Frames.join("after-fuzz")).awaitType("joined");
                Broadcasts.publish(tenant, "{\"event_type\":\"check\",\"room\":\"after-fuzz\",\"data\":{\"ok\":true}}");
                assertThat(client.awaitType("event").path("data").path("ok").asBoolean()).isTrue();
                assertThat(registry.connectionCount()).isEqualTo(1);
            }
            List<LogCapture.Line> errors = log.lines().stream()
                    .filter(line -> line.level().intValue() >= Level.SEVERE.intValue()).toList();
            assertThat(errors).as("seed " + seed).isEmpty();
        }
    }

    /**
     * Opens a connection and sends random frames a connection must survive; then, half of the time, one frame that
     * must close it. Returns "alive", "closed &lt;code&gt;" or "cut".
     */
    private String fuzzOneConnection(String tenant) {
        try (RawWsClient client = RawWsClient.open("/ws?token=" + Tokens.valid(tenant))) {
            assertThat(client.status()).isEqualTo(101);
            int frames = 1 + random.nextInt(FRAMES_PER_CONNECTION);
            for (int i = 0; i < frames; i++) {
                sendSurvivableFrame(client);
            }
            if (random.nextBoolean()) {
                client.sendText(Frames.ping());
                awaitPong(client);
                return "alive";
            }
            OptionalInt expected = sendFatalFrame(client);
            if (expected.isEmpty()) {
                return "cut";
            }
            int code = client.awaitClose(Duration.ofSeconds(10));
            if (expected.getAsInt() == OVERSIZED) {
                assertThat(code).as("seed " + seed).isIn(1009, -1);
                return code == 1009 ? "closed 1009" : "cut";
            }
            assertThat(code).as("seed " + seed).isEqualTo(expected.getAsInt());
            return "closed " + code;
        }
    }

    /** An oversized frame cut short by the server: close 1009, or a reset that lost it. */
    private static final int OVERSIZED = -1009;

    /** Reads up to the pong, checking that everything before it is a well-formed server message. */
    private void awaitPong(RawWsClient client) {
        while (true) {
            RawWsClient.Frame frame = client.readFrame(Duration.ofSeconds(10));
            assertThat(frame).as("seed " + seed + ": the connection was closed").isNotNull();
            assertThat(frame.opcode()).as("seed " + seed + ": closed with " + frame.code()).isNotEqualTo(8);
            if (frame.opcode() == 1 && "pong".equals(parseServerMessage(frame.text()).path("type").asText())) {
                return;
            }
        }
    }

    /** Garbage a connection survives: each gets an error message (or is ignored), never a close. */
    private void sendSurvivableFrame(RawWsClient client) {
        switch (random.nextInt(10)) {
            case 0, 1, 2 -> client.sendText(mutate(VALID.get(random.nextInt(VALID.size()))));
            case 3 -> client.sendText(VALID.get(random.nextInt(VALID.size())));
            case 4 -> client.sendFrame(2, bytes(random.nextInt(2000))); // binary
            case 5 -> client.sendText(nested(1 + random.nextInt(20_000)));
            case 6 -> client.sendText(huge(1 + random.nextInt(60_000)));
            case 7 -> client.sendText(List.of("42", "-1e999", "null", "true", "\"ping\"", "[{\"action\":\"ping\"}]",
                    "1".repeat(5000), "{\"action\":\"ping\",\"action\":\"info\"}").get(random.nextInt(8)));
            case 8 -> client.sendFrame(9, bytes(random.nextInt(126))); // a ping, answered by a pong
            default -> {
                // A valid message split across fragments, a multi-byte character cut in two between them.
                byte[] text = "{\"action\":\"join\",\"room\":\"caf\u00e9\"}".getBytes(StandardCharsets.UTF_8);
                int cut = text.length - 3;
                client.sendFrameRaw(false, 1, Arrays.copyOfRange(text, 0, cut));
                client.sendFrameRaw(true, 0, Arrays.copyOfRange(text, cut, text.length));
            }
        }
    }

    /** A frame that must close the connection; returns the close code it must earn, empty when the socket was cut. */
    private OptionalInt sendFatalFrame(RawWsClient client) {
        switch (random.nextInt(7)) {
            case 0 -> {
                client.sendFrame(1, invalidUtf8(1 + random.nextInt(200)));
                return OptionalInt.of(1007);
            }
            case 1 -> {
                byte[] text = "{\"action\":\"join\",\"room\":\"caf\u00e9\"}".getBytes(StandardCharsets.UTF_8);
                int cut = text.length - 3;
                client.sendFrameRaw(false, 1, Arrays.copyOfRange(text, 0, cut));
                byte[] rest = Arrays.copyOfRange(text, cut, text.length);
                rest[0] = (byte) 0xff;
                client.sendFrameRaw(true, 0, rest);
                return OptionalInt.of(1007);
            }
            case 2 -> {
                client.sendFrame(List.of(3, 4, 5, 6, 7, 11, 12, 13, 14, 15).get(random.nextInt(10)),
                        bytes(random.nextInt(10)));
                return OptionalInt.of(1002);
            }
            case 3 -> {
                client.sendFrameRaw(true, 0, bytes(random.nextInt(10))); // a continuation of nothing
                return OptionalInt.of(1002);
            }
            case 4 -> {
                client.sendFrame(9, bytes(126 + random.nextInt(100))); // control frames carry at most 125 bytes
                return OptionalInt.of(1002);
            }
            case 5 -> {
                try {
                    client.sendText(huge(70_000 + random.nextInt(500_000)));
                } catch (java.io.UncheckedIOException refusedFromItsHeader) {
                    // A frame over 64 KiB is refused as soon as its header arrives: the server closes (1009) while the
                    // rest is still being written, and the close may be lost to the reset that follows.
                    return OptionalInt.of(OVERSIZED);
                }
                return OptionalInt.of(1009);
            }
            default -> {
                client.sendFrameRaw(false, 1, "{\"action\":".getBytes(StandardCharsets.UTF_8));
                client.close(); // vanish mid-message, without a close frame
                return OptionalInt.empty();
            }
        }
    }

    /** A handshake with a garbage or oversized token: refused with 4001 or an HTTP error, never a 5xx. */
    private String fuzzOneHandshake(String tenant) {
        String token = switch (random.nextInt(4)) {
            case 0 -> new String(bytes(random.nextInt(300)), StandardCharsets.ISO_8859_1);
            case 1 -> corrupt(Tokens.valid(tenant));
            case 2 -> "x".repeat(6000 + random.nextInt(4000));
            default -> Tokens.valid(tenant) + "." + mutate("payload");
        };
        try (RawWsClient client = RawWsClient.open("/ws?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8))) {
            if (client.status() != 101) {
                assertThat(client.status()).as("seed " + seed).isBetween(400, 499);
                return "http " + client.status();
            }
            int code = client.awaitClose(Duration.ofSeconds(10));
            assertThat(code).as("seed " + seed + ", token " + token).isIn(4001, 4003);
            return "refused " + code;
        }
    }

    private static JsonNode parseServerMessage(String text) {
        try {
            JsonNode message = JSON.readTree(text);
            assertThat(message.isObject()).as(text).isTrue();
            assertThat(message.path("type").asText()).as(text).isNotBlank();
            if ("error".equals(message.path("type").asText())) {
                assertThat(message.path("code").asText()).as(text).isNotBlank();
                assertThat(message.path("message").asText()).as(text).isNotBlank();
            }
            return message;
        } catch (java.io.IOException e) {
            throw new AssertionError("The server sent something that is not JSON: " + text, e);
        }
    }

    /** Inserts a character no JWT part can hold, so the token can never verify by chance. */
    private String corrupt(String token) {
        int at = random.nextInt(token.length() + 1);
        return token.substring(0, at) + "{}[]\":, \u00e9".charAt(random.nextInt(9)) + token.substring(at);
    }

    private String mutate(String valid) {
        StringBuilder text = new StringBuilder(valid);
        int edits = 1 + random.nextInt(4);
        for (int i = 0; i < edits && text.length() > 0; i++) {
            int at = random.nextInt(text.length());
            switch (random.nextInt(3)) {
                case 0 -> text.deleteCharAt(at);
                case 1 -> text.insert(at, PALETTE.charAt(random.nextInt(PALETTE.length())));
                default -> text.setCharAt(at, PALETTE.charAt(random.nextInt(PALETTE.length())));
            }
        }
        return text.toString();
    }

    private static String nested(int depth) {
        return "{\"action\":\"join\",\"room\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
    }

    private static String huge(int length) {
        return "{\"action\":\"join\",\"room\":\"" + "r".repeat(length) + "\"}";
    }

    /** Random bytes with at least one 0xFF, which never occurs in UTF-8. */
    private byte[] invalidUtf8(int length) {
        byte[] bytes = bytes(length);
        bytes[random.nextInt(length)] = (byte) 0xff;
        return bytes;
    }

    private byte[] bytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}

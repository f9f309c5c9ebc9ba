package dev.pulse.gateway.protocol;

import dev.pulse.gateway.support.Frames;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

class ClientMessageParserTest {

    private final ClientMessageParser parser = new ClientMessageParser(new ObjectMapper());

    @Test
    void parsesTheSeedRequests() throws Exception {
        assertThat(parser.parse(Frames.subscribeDevice("dev-0001")))
                .isEqualTo(new ClientCommand.SubscribeDevice("dev-0001"));
        assertThat(parser.parse(Frames.unsubscribeDevice("a:b.c_d-e")))
                .isEqualTo(new ClientCommand.UnsubscribeDevice("a:b.c_d-e"));
        assertThat(parser.parse(Frames.subscribeAlerts()))
                .isEqualTo(new ClientCommand.SubscribeAlerts());
        assertThat(parser.parse(Frames.unsubscribeAlerts()))
                .isEqualTo(new ClientCommand.UnsubscribeAlerts());
        assertThat(parser.parse(Frames.ping())).isEqualTo(new ClientCommand.Ping());
        assertThat(parser.parse("{\"type\":\"ping\"}")).isEqualTo(new ClientCommand.Ping());
    }

    @Test
    void deviceIdBounds() throws Exception {
        assertThat(parser.parse(device("d".repeat(128)))).isEqualTo(new ClientCommand.SubscribeDevice("d".repeat(128)));
        assertError(device("d".repeat(129)), ErrorCode.INVALID_DEVICE_ID);
        assertError(device("-leading-dash"), ErrorCode.INVALID_DEVICE_ID);
        assertError(device("dev\\u0000"), ErrorCode.INVALID_DEVICE_ID);
        assertError(device("dév"), ErrorCode.INVALID_DEVICE_ID);
    }

    @Test
    void theListFormKeepsValidIdsOnceAndSetsAsideTheRest() throws Exception {
        assertThat(parser.parse("{\"action\":\"subscribe\",\"type\":\"device\",\"device_ids\":[\"a\",\"b\",\"a\","
                + "\"bad id\",42]}")).isEqualTo(new ClientCommand.SubscribeDevices(java.util.List.of("a", "b"),
                        java.util.List.of("bad id", "42")));
        assertThat(parser.parse("{\"action\":\"unsubscribe\",\"type\":\"device\",\"device_ids\":[\"a\"]}"))
                .isEqualTo(new ClientCommand.UnsubscribeDevices(java.util.List.of("a"), java.util.List.of()));
        assertError("{\"action\":\"subscribe\",\"type\":\"device\",\"device_ids\":[]}", ErrorCode.INVALID_DEVICE_ID);
        assertError("{\"action\":\"subscribe\",\"type\":\"device\",\"device_ids\":\"a\"}", ErrorCode.INVALID_DEVICE_ID);
        String tooMany = java.util.stream.IntStream.range(0, ClientMessageParser.MAX_DEVICE_IDS + 1)
                .mapToObj(i -> "\"d" + i + "\"").collect(java.util.stream.Collectors.joining(","));
        assertError("{\"action\":\"subscribe\",\"type\":\"device\",\"device_ids\":[" + tooMany + "]}",
                ErrorCode.INVALID_DEVICE_ID);
    }

    @Test
    void errorMessagesDoNotEchoUnboundedInput() {
        String longAction = "x".repeat(10_000);
        assertThatThrownBy(() -> parser.parse("{\"action\":\"" + longAction + "\"}"))
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(120));
    }

    private static String device(String id) {
        return "{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"" + id + "\"}";
    }

    private void assertError(String frame, ErrorCode code) {
        assertThatThrownBy(() -> parser.parse(frame)).isInstanceOf(ProtocolException.class)
                .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(code));
    }
}

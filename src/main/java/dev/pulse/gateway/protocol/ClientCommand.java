package dev.pulse.gateway.protocol;

/** A validated client request. The parser produces these; nothing downstream sees raw frames. */
public sealed interface ClientCommand {

    record SubscribeDevice(String deviceId) implements ClientCommand {
    }

    record UnsubscribeDevice(String deviceId) implements ClientCommand {
    }

    record SubscribeAlerts() implements ClientCommand {
    }

    record UnsubscribeAlerts() implements ClientCommand {
    }

    record Ping() implements ClientCommand {
    }
}

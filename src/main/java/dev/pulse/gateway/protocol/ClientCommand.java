package dev.pulse.gateway.protocol;

import java.util.Set;

/** A validated client request. The parser produces these; nothing downstream sees raw frames. */
public sealed interface ClientCommand {

    record SubscribeDevice(String deviceId) implements ClientCommand {
    }

    record UnsubscribeDevice(String deviceId) implements ClientCommand {
    }

    /**
     * The list form, {@code "device_ids":[...]}: subscribes to every valid id at once. {@code invalid} holds the
     * entries that are not device ids, as the client sent them (shortened), to be refused in the one confirmation.
     */
    record SubscribeDevices(java.util.List<String> deviceIds, java.util.List<String> invalid)
            implements ClientCommand {
    }

    /** The list form of unsubscribe. */
    record UnsubscribeDevices(java.util.List<String> deviceIds, java.util.List<String> invalid)
            implements ClientCommand {
    }

    record SubscribeAlerts() implements ClientCommand {
    }

    record UnsubscribeAlerts() implements ClientCommand {
    }

    /** Adds event types to the connection's filter (no filter: every event of its rooms). */
    record SubscribeEvents(Set<String> eventTypes) implements ClientCommand {
    }

    /** Removes event types from the filter. */
    record UnsubscribeEvents(Set<String> eventTypes) implements ClientCommand {
    }

    record JoinRoom(String room) implements ClientCommand {
    }

    record LeaveRoom(String room) implements ClientCommand {
    }

    record Info() implements ClientCommand {
    }

    /** Replaces the connection's token before it expires (same tenant and subject). */
    record Refresh(String token) implements ClientCommand {
    }

    record Ping() implements ClientCommand {
    }
}

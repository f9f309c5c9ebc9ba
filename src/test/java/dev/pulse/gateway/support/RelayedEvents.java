package dev.pulse.gateway.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Bodies of events as another replica relays them, for tests that send notifications on the events channel by hand. */
public final class RelayedEvents {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RelayedEvents() {
    }

    /** An event for room {@code ops} of {@code tenant}, dated 2030-01-01, with {@code data.marker}. */
    public static ObjectNode event(String tenant, String marker) {
        ObjectNode body = JSON.createObjectNode();
        body.put("origin", "another-replica");
        body.put("tenant", tenant);
        body.put("event_type", "system_notification");
        body.put("source", "api_server");
        body.put("room", "ops");
        body.put("timestamp", "2030-01-01T00:00:00Z");
        body.putObject("data").put("marker", marker);
        return body;
    }
}

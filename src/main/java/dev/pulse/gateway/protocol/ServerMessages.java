package dev.pulse.gateway.protocol;

import java.time.Instant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Writes every server-to-client message. Each method returns the finished text frame, so a message that goes to many
 * connections is serialized once and the same string is sent to all of them.
 */
@ApplicationScoped
public class ServerMessages {

    private final ObjectMapper mapper;

    public ServerMessages(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public String subscribedDevice(String deviceId) {
        return write(new ServerMessage.Subscription("subscribed", "device", deviceId));
    }

    public String subscribedAlerts() {
        return write(new ServerMessage.Subscription("subscribed", "alerts", null));
    }

    public String unsubscribedDevice(String deviceId) {
        return write(new ServerMessage.Subscription("unsubscribed", "device", deviceId));
    }

    public String unsubscribedAlerts() {
        return write(new ServerMessage.Subscription("unsubscribed", "alerts", null));
    }

    public String pong(Instant now) {
        return write(new ServerMessage.Pong("pong", Timestamps.format(now)));
    }

    public String error(ErrorCode code, String message) {
        return write(new ServerMessage.Error("error", code.wire(), message));
    }

    /**
     * {@code {"type":"telemetry","device_id":...,"data":{"timestamp":...,"metrics":{...}}}}; the metrics keep their
     * JSON types.
     */
    public String telemetry(String deviceId, Instant timestamp, ObjectNode metrics) {
        ObjectNode root = mapper.createObjectNode();
        root.put("type", "telemetry");
        root.put("device_id", deviceId);
        ObjectNode data = root.putObject("data");
        data.put("timestamp", Timestamps.format(timestamp));
        data.set("metrics", metrics);
        return write(root);
    }

    /** {@code {"type":"alerts","alerts":[...]}}. */
    public String alerts(ArrayNode alerts) {
        ObjectNode root = mapper.createObjectNode();
        root.put("type", "alerts");
        root.set("alerts", alerts);
        return write(root);
    }

    private String write(Object message) {
        try {
            return mapper.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            // Only our own records and trees reach here; failing to write them is a bug, not bad input.
            throw new IllegalStateException("Cannot serialize " + message.getClass().getSimpleName(), e);
        }
    }
}

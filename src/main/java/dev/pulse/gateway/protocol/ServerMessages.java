package dev.pulse.gateway.protocol;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.pulse.gateway.protocol.OutboundMessage.Kind;
import io.quarkus.websockets.next.CloseReason;

/**
 * Writes every server-to-client message. Each method returns the finished frame, so a message that goes to many
 * connections is serialized once and the same text is sent to all of them.
 *
 * <p>Replies to the event-system actions (ping, join, leave, event-type subscribe/unsubscribe, info) carry that design's
 * {@code success}, {@code message} and {@code data} fields next to {@code type}, so its clients keep working.
 */
@ApplicationScoped
public class ServerMessages {

    private final ObjectMapper mapper;

    public ServerMessages(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public OutboundMessage subscribedDevice(String deviceId) {
        return reply(new ServerMessage.Subscription("subscribed", "device", deviceId));
    }

    /** The protocol version Pulse speaks, announced in the {@code connected} event. */
    public static final String PROTOCOL_VERSION = "1";

    /**
     * The {@code connected} event sent when a connection opens:
     * {@code {"type":"event","event_type":"connected","timestamp":...,"source":"pulse","data":{"connection_id",
     * "tenant","server_time","protocol_version","limits":{...}}}}.
     */
    public OutboundMessage connected(String connectionId, String tenant, Instant now, JsonNode limits) {
        ObjectNode data = mapper.createObjectNode();
        data.put("connection_id", connectionId);
        data.put("tenant", tenant);
        data.put("server_time", Timestamps.format(now));
        data.put("protocol_version", PROTOCOL_VERSION);
        data.set("limits", limits);
        return event(EventTypes.CONNECTED, now, data, "pulse", null);
    }

    /**
     * The limits a {@code connected} event announces, as a tree built once and shared by every such event (it is only
     * ever read): converting the map for each new connection showed in the profile of a burst of connects.
     */
    public JsonNode limits(Map<String, ?> limits) {
        return mapper.valueToTree(limits);
    }

    /** One device id the list form could not take, and why. */
    public record Refusal(String deviceId, ErrorCode code, String message) {
    }

    /**
     * The one confirmation of a list-form request:
     * {@code {"type":"subscribed","channel":"device","device_ids":[...],"refused":[{"device_id","code","message"}]}}
     * ({@code unsubscribed} likewise). {@code device_ids} lists what was accepted.
     */
    public OutboundMessage devices(boolean subscribed, java.util.List<String> accepted, java.util.List<Refusal> refused) {
        ObjectNode root = mapper.createObjectNode();
        root.put("type", subscribed ? "subscribed" : "unsubscribed");
        root.put("channel", "device");
        ArrayNode ids = root.putArray("device_ids");
        accepted.forEach(ids::add);
        ArrayNode refusals = root.putArray("refused");
        for (Refusal refusal : refused) {
            refusals.addObject().put("device_id", refusal.deviceId()).put("code", refusal.code().wire())
                    .put("message", refusal.message());
        }
        return write(Kind.REPLY, root);
    }

    public OutboundMessage subscribedAlerts() {
        return reply(new ServerMessage.Subscription("subscribed", "alerts", null));
    }

    public OutboundMessage unsubscribedDevice(String deviceId) {
        return reply(new ServerMessage.Subscription("unsubscribed", "device", deviceId));
    }

    public OutboundMessage unsubscribedAlerts() {
        return reply(new ServerMessage.Subscription("unsubscribed", "alerts", null));
    }

    /** {@code {"type":"pong","timestamp":...,"success":true,"message":"pong","data":{"timestamp":...}}}. */
    public OutboundMessage pong(Instant now) {
        String timestamp = Timestamps.format(now);
        ObjectNode root = seedReply("pong", "pong");
        root.put("timestamp", timestamp);
        ((ObjectNode) root.get("data")).put("timestamp", timestamp);
        return write(Kind.REPLY, root);
    }

    public OutboundMessage joined(String room, int members) {
        ObjectNode root = seedReply("joined", "Joined room " + room);
        root.put("room", room);
        ObjectNode data = (ObjectNode) root.get("data");
        data.put("room", room);
        data.put("members", members);
        return write(Kind.REPLY, root);
    }

    public OutboundMessage left(String room, boolean wasMember) {
        ObjectNode root = seedReply("left", wasMember ? "Left room " + room : "Not in room " + room);
        root.put("room", room);
        ((ObjectNode) root.get("data")).put("room", room);
        return write(Kind.REPLY, root);
    }

    /** Confirms an event-type subscribe or unsubscribe with the filter as it now is (empty: every event). */
    public OutboundMessage eventFilter(boolean subscribed, Collection<String> filter) {
        String type = subscribed ? "subscribed" : "unsubscribed";
        ObjectNode root = seedReply(type, filter.isEmpty() ? "Receiving every event type"
                : "Receiving " + filter.size() + " event type" + (filter.size() == 1 ? "" : "s"));
        root.put("channel", "events");
        ArrayNode types = ((ObjectNode) root.get("data")).putArray("event_types");
        new TreeSet<>(filter).forEach(types::add);
        return write(Kind.REPLY, root);
    }

    /** {@code {"type":"info","success":true,"message":"Connection info","data":{...}}}. */
    public OutboundMessage info(Map<String, Object> details) {
        ObjectNode root = seedReply("info", "Connection info");
        root.set("data", mapper.valueToTree(details));
        return write(Kind.REPLY, root);
    }

    /** {@code {"type":"refreshed","success":true,"message":"Token refreshed","data":{"expires_at":...}}}. */
    public OutboundMessage refreshed(Instant expiresAt) {
        ObjectNode root = seedReply("refreshed", "Token refreshed");
        ObjectNode data = (ObjectNode) root.get("data");
        if (expiresAt != null) {
            data.put("expires_at", Timestamps.format(expiresAt));
        }
        return write(Kind.REPLY, root);
    }

    /** {@code {"type":"status","source":"influxdb","status":"unavailable","timestamp":...}}. */
    public OutboundMessage status(String source, boolean available, Instant now) {
        ObjectNode root = mapper.createObjectNode();
        root.put("type", "status");
        root.put("source", source);
        root.put("status", available ? "available" : "unavailable");
        root.put("timestamp", Timestamps.format(now));
        return write(Kind.STATUS, root);
    }

    /**
     * {@code {"type":"reconnect","code":1001,"reason":"...","retry_after_ms":4210}}: sent just before a close that
     * asks the client to come back after a delay, so clients need not parse the close reason.
     */
    public OutboundMessage reconnect(CloseReason close, long retryAfterMillis) {
        ObjectNode root = mapper.createObjectNode();
        root.put("type", "reconnect");
        root.put("code", close.getCode());
        root.put("reason", close.getMessage());
        root.put("retry_after_ms", retryAfterMillis);
        return write(Kind.STATUS, root);
    }

    public OutboundMessage error(ErrorCode code, String message) {
        return write(Kind.ERROR, new ServerMessage.Error("error", code.wire(), message));
    }

    /**
     * {@code {"type":"telemetry","device_id":...,"data":{"timestamp":...,"metrics":{...}}}}; the metrics keep their
     * JSON types.
     */
    public OutboundMessage telemetry(String deviceId, Instant timestamp, ObjectNode metrics) {
        ObjectNode root = mapper.createObjectNode();
        root.put("type", "telemetry");
        root.put("device_id", deviceId);
        ObjectNode data = root.putObject("data");
        data.put("timestamp", Timestamps.format(timestamp));
        data.set("metrics", metrics);
        return OutboundMessage.conflatable(Kind.TELEMETRY, text(root), deviceId).withOrigin(timestamp);
    }

    /** {@code {"type":"alerts","alerts":[...]}}. */
    public OutboundMessage alerts(ArrayNode alerts) {
        ObjectNode root = mapper.createObjectNode();
        root.put("type", "alerts");
        root.set("alerts", alerts);
        return write(Kind.ALERTS, root);
    }

    /** {@code {"type":"event","event_type":...,"timestamp":...,"data":{...},"source":...,"room":...}}. */
    public OutboundMessage event(String eventType, Instant timestamp, ObjectNode data, String source, String room) {
        ObjectNode root = mapper.createObjectNode();
        root.put("type", "event");
        root.put("event_type", eventType);
        root.put("timestamp", Timestamps.format(timestamp));
        root.set("data", data);
        root.put("source", source);
        if (room != null) {
            root.put("room", room);
        }
        return write(Kind.EVENT, root).withOrigin(timestamp);
    }

    private ObjectNode seedReply(String type, String message) {
        ObjectNode root = mapper.createObjectNode();
        root.put("type", type);
        root.put("success", true);
        root.put("message", message);
        root.putObject("data");
        return root;
    }

    private OutboundMessage reply(Object message) {
        return write(Kind.REPLY, message);
    }

    private OutboundMessage write(Kind kind, Object message) {
        return OutboundMessage.of(kind, text(message));
    }

    private String text(Object message) {
        try {
            return mapper.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            // Only our own records and trees reach here; failing to write them is a bug, not bad input.
            throw new IllegalStateException("Cannot serialize " + message.getClass().getSimpleName(), e);
        }
    }
}

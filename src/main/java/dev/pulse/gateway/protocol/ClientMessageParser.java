package dev.pulse.gateway.protocol;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Turns a text frame into a {@link ClientCommand}. Reads a JSON tree (no data binding, so nothing needs reflection)
 * and ignores fields it does not know, so clients may send more than Pulse reads.
 *
 * <p>Two request forms are accepted: {@code {"action":"...", ...}} and, for ping, the bare {@code {"type":"ping"}}.
 */
@ApplicationScoped
public class ClientMessageParser {

    private final ObjectMapper mapper;

    public ClientMessageParser(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public ClientCommand parse(String frame) throws ProtocolException {
        JsonNode root;
        try {
            root = mapper.readTree(frame);
        } catch (JacksonException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, "Message is not valid JSON");
        }
        if (root == null || root.isMissingNode()) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, "Message is empty; send a JSON object");
        }
        if (!root.isObject()) {
            throw new ProtocolException(ErrorCode.INVALID_MESSAGE, "Message must be a JSON object");
        }
        String action = text(root, "action");
        String type = text(root, "type");
        if (action == null) {
            if ("ping".equals(type)) {
                return new ClientCommand.Ping();
            }
            throw new ProtocolException(ErrorCode.MISSING_ACTION, "Message needs an \"action\" string");
        }
        return switch (action) {
            case "ping" -> new ClientCommand.Ping();
            case "subscribe" -> subscribe(root, type);
            case "unsubscribe" -> unsubscribe(root, type);
            default -> throw new ProtocolException(ErrorCode.UNKNOWN_ACTION, "Unknown action: " + printable(action));
        };
    }

    private static ClientCommand subscribe(JsonNode root, String type) throws ProtocolException {
        return switch (channel(type)) {
            case "device" -> new ClientCommand.SubscribeDevice(deviceId(root));
            default -> new ClientCommand.SubscribeAlerts();
        };
    }

    private static ClientCommand unsubscribe(JsonNode root, String type) throws ProtocolException {
        return switch (channel(type)) {
            case "device" -> new ClientCommand.UnsubscribeDevice(deviceId(root));
            default -> new ClientCommand.UnsubscribeAlerts();
        };
    }

    private static String channel(String type) throws ProtocolException {
        if ("device".equals(type) || "alerts".equals(type)) {
            return type;
        }
        throw new ProtocolException(ErrorCode.UNKNOWN_TYPE,
                type == null ? "Missing \"type\": use \"device\" or \"alerts\""
                        : "Unknown type: " + printable(type) + " (use \"device\" or \"alerts\")");
    }

    private static String deviceId(JsonNode root) throws ProtocolException {
        JsonNode node = root.get("device_id");
        if (node == null || node.isNull()) {
            throw new ProtocolException(ErrorCode.INVALID_DEVICE_ID, "device_id is required for a device subscription");
        }
        if (!node.isTextual() || !Identifiers.isValidDeviceId(node.textValue())) {
            throw new ProtocolException(ErrorCode.INVALID_DEVICE_ID,
                    "device_id must be a string of 1 to " + Identifiers.DEVICE_ID_MAX_LENGTH
                            + " characters: letters, digits and . _ : - (starting with a letter or digit)");
        }
        return node.textValue();
    }

    private static String text(JsonNode root, String field) {
        JsonNode node = root.get(field);
        return node != null && node.isTextual() ? node.textValue() : null;
    }

    /** Echoes client input in an error message without letting it grow the reply or break a terminal. */
    private static String printable(String value) {
        String cut = value.length() > 64 ? value.substring(0, 64) + "…" : value;
        return '"' + cut.replaceAll("\\p{Cntrl}", "?") + '"';
    }
}

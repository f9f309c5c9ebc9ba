package dev.pulse.gateway.protocol;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Turns a text frame into a {@link ClientCommand}. Reads a JSON tree (no data binding, so nothing needs reflection)
 * and ignores fields it does not know, so clients may send more than Pulse reads.
 *
 * <p>Two request forms are accepted: {@code {"action":"...", ...}} (telemetry and event-system clients) and, where
 * there is no {@code action}, {@code {"type":"ping"|"subscribe"|"unsubscribe", "data":{...}}} (the per-item endpoint
 * pattern's clients).
 */
@ApplicationScoped
public class ClientMessageParser {

    private static final Set<String> TYPE_FORM_ACTIONS = Set.of("ping", "subscribe", "unsubscribe");
    /** Most device ids one list-form request may name (the per-connection cap may be lower). */
    public static final int MAX_DEVICE_IDS = 1000;

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
        if ("action".equals(action) || (action == null && "action".equals(type))) {
            throw new ProtocolException(ErrorCode.CLIENT_ACTIONS_DISABLED, "Clients cannot publish through Pulse:"
                    + " a backend publishes with POST /ws/broadcast and a publisher token");
        }
        if (action == null) {
            if (type == null || !TYPE_FORM_ACTIONS.contains(type)) {
                throw new ProtocolException(ErrorCode.MISSING_ACTION, "Message needs an \"action\" string");
            }
            // {"type":"subscribe","data":{...}}: the type is the action, so there is no channel type.
            action = type;
            type = null;
        }
        return switch (action) {
            case "ping" -> new ClientCommand.Ping();
            case "subscribe" -> subscribe(root, type);
            case "unsubscribe" -> unsubscribe(root, type);
            case "join" -> new ClientCommand.JoinRoom(room(root));
            case "leave" -> new ClientCommand.LeaveRoom(room(root));
            case "info" -> new ClientCommand.Info();
            case "refresh" -> new ClientCommand.Refresh(token(root));
            default -> throw new ProtocolException(ErrorCode.UNKNOWN_ACTION, "Unknown action: " + printable(action));
        };
    }

    private static ClientCommand subscribe(JsonNode root, String type) throws ProtocolException {
        if (type == null && root.has("data")) {
            return new ClientCommand.SubscribeEvents(eventTypes(root));
        }
        return switch (channel(type)) {
            case "device" -> root.has("device_ids") ? deviceIds(root, true)
                    : new ClientCommand.SubscribeDevice(deviceId(root));
            default -> new ClientCommand.SubscribeAlerts();
        };
    }

    private static ClientCommand unsubscribe(JsonNode root, String type) throws ProtocolException {
        if (type == null && root.has("data")) {
            return new ClientCommand.UnsubscribeEvents(eventTypes(root));
        }
        return switch (channel(type)) {
            case "device" -> root.has("device_ids") ? deviceIds(root, false)
                    : new ClientCommand.UnsubscribeDevice(deviceId(root));
            default -> new ClientCommand.UnsubscribeAlerts();
        };
    }

    private static String channel(String type) throws ProtocolException {
        if ("device".equals(type) || "alerts".equals(type)) {
            return type;
        }
        throw new ProtocolException(ErrorCode.UNKNOWN_TYPE,
                type == null ? "Missing \"type\" (\"device\" or \"alerts\") or \"data\":{\"event_types\":[...]}"
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

    /**
     * The list form: {@code "device_ids"} must be a list of 1 to {@link #MAX_DEVICE_IDS} entries; each entry that is
     * not a valid device id is kept aside to be refused by name, so one bad id does not cost the others.
     */
    private static ClientCommand deviceIds(JsonNode root, boolean subscribe) throws ProtocolException {
        JsonNode list = root.get("device_ids");
        if (list == null || !list.isArray() || list.isEmpty() || list.size() > MAX_DEVICE_IDS) {
            throw new ProtocolException(ErrorCode.INVALID_DEVICE_ID,
                    "device_ids must be a list of 1 to " + MAX_DEVICE_IDS + " device ids");
        }
        Set<String> valid = new LinkedHashSet<>();
        List<String> invalid = new ArrayList<>();
        for (JsonNode item : list) {
            if (item.isTextual() && Identifiers.isValidDeviceId(item.textValue())) {
                valid.add(item.textValue());
            } else {
                invalid.add(item.isTextual() ? shortened(item.textValue()) : item.toString().length() > 64
                        ? item.getNodeType().name().toLowerCase() : item.toString());
            }
        }
        return subscribe ? new ClientCommand.SubscribeDevices(List.copyOf(valid), invalid)
                : new ClientCommand.UnsubscribeDevices(List.copyOf(valid), invalid);
    }

    /** The room of a join or leave: {@code "room"} at the top level, or inside {@code data}. */
    private static String room(JsonNode root) throws ProtocolException {
        JsonNode node = root.get("room");
        if (node == null || node.isNull()) {
            node = root.path("data").get("room");
        }
        if (node == null || !node.isTextual() || !Identifiers.isValidRoom(node.textValue())) {
            throw new ProtocolException(ErrorCode.INVALID_ROOM,
                    "room must be a string of 1 to " + Identifiers.ROOM_MAX_LENGTH
                            + " characters: letters, digits and . _ : - (starting with a letter or digit)");
        }
        return node.textValue();
    }

    private static Set<String> eventTypes(JsonNode root) throws ProtocolException {
        JsonNode list = root.path("data").path("event_types");
        if (!list.isArray() || list.isEmpty() || list.size() > EventTypes.MAX_PER_REQUEST) {
            throw new ProtocolException(ErrorCode.INVALID_EVENT_TYPES,
                    "data.event_types must be a list of 1 to " + EventTypes.MAX_PER_REQUEST + " event types");
        }
        Set<String> types = new LinkedHashSet<>();
        for (JsonNode item : list) {
            if (!item.isTextual() || !EventTypes.isValid(item.textValue())) {
                throw new ProtocolException(ErrorCode.INVALID_EVENT_TYPES, "Invalid event type: "
                        + (item.isTextual() ? printable(item.textValue()) : item.getNodeType().name().toLowerCase())
                        + " (lowercase letters, digits and _ . -, at most 64 characters)");
            }
            types.add(item.textValue());
        }
        return types;
    }

    private static String token(JsonNode root) throws ProtocolException {
        JsonNode node = root.get("token");
        if (node == null || !node.isTextual() || node.textValue().isBlank() || node.textValue().length() > 16_384) {
            throw new ProtocolException(ErrorCode.INVALID_TOKEN, "refresh needs a \"token\" string");
        }
        return node.textValue().trim();
    }

    private static String text(JsonNode root, String field) {
        JsonNode node = root.get(field);
        return node != null && node.isTextual() ? node.textValue() : null;
    }

    /** Echoes client input in an error message without letting it grow the reply or break a terminal. */
    private static String printable(String value) {
        return '"' + shortened(value) + '"';
    }

    private static String shortened(String value) {
        String cut = value.length() > 64 ? value.substring(0, 64) + "…" : value;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}

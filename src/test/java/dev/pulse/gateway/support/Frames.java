package dev.pulse.gateway.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Client frames built as JSON, not as hand-escaped strings: a device id or a room with a quote or a backslash in it is
 * escaped by Jackson, as a real client library would. Hostile frames (malformed JSON, wrong types) stay literal strings
 * in the tests that send them.
 */
public final class Frames {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Frames() {
    }

    public static String subscribeDevice(String deviceId) {
        return action("subscribe").put("type", "device").put("device_id", deviceId).toString();
    }

    public static String unsubscribeDevice(String deviceId) {
        return action("unsubscribe").put("type", "device").put("device_id", deviceId).toString();
    }

    /** The list form: {@code {"action":"subscribe","type":"device","device_ids":[...]}}. */
    public static String subscribeDevices(Iterable<String> deviceIds) {
        return devices("subscribe", deviceIds);
    }

    public static String unsubscribeDevices(Iterable<String> deviceIds) {
        return devices("unsubscribe", deviceIds);
    }

    public static String subscribeAlerts() {
        return action("subscribe").put("type", "alerts").toString();
    }

    public static String unsubscribeAlerts() {
        return action("unsubscribe").put("type", "alerts").toString();
    }

    /** Adds event types to the filter ({@code subscribe}) or removes them ({@code unsubscribe}). */
    public static String eventTypes(String actionName, String... types) {
        ObjectNode frame = action(actionName);
        ArrayNode list = frame.putObject("data").putArray("event_types");
        for (String type : types) {
            list.add(type);
        }
        return frame.toString();
    }

    public static String join(String room) {
        return action("join").put("room", room).toString();
    }

    public static String leave(String room) {
        return action("leave").put("room", room).toString();
    }

    public static String ping() {
        return action("ping").toString();
    }

    public static String info() {
        return action("info").toString();
    }

    public static String refresh(String token) {
        return action("refresh").put("token", token).toString();
    }

    private static String devices(String actionName, Iterable<String> deviceIds) {
        ObjectNode frame = action(actionName).put("type", "device");
        ArrayNode list = frame.putArray("device_ids");
        deviceIds.forEach(list::add);
        return frame.toString();
    }

    private static ObjectNode action(String name) {
        return JSON.createObjectNode().put("action", name);
    }
}

package dev.pulse.gateway.protocol;

/** Machine-readable codes of {@code {"type":"error"}} messages. The connection stays open after each of them. */
public enum ErrorCode {
    /** The frame is not valid JSON. */
    MALFORMED_JSON("malformed_json"),
    /** The frame is JSON but not an object. */
    INVALID_MESSAGE("invalid_message"),
    /** The object has no {@code action} (nor the {@code type} form of ping). */
    MISSING_ACTION("missing_action"),
    /** {@code action} names nothing Pulse knows. */
    UNKNOWN_ACTION("unknown_action"),
    /** A subscribe or unsubscribe names neither a channel ({@code type}) nor event types ({@code data}). */
    UNKNOWN_TYPE("unknown_type"),
    /** {@code device_id} is missing, not a string, too long, or has characters outside the allowed set. */
    INVALID_DEVICE_ID("invalid_device_id"),
    /** {@code room} is missing, not a string, too long, or has characters outside the allowed set. */
    INVALID_ROOM("invalid_room"),
    /** {@code data.event_types} is not a list of 1 to 100 valid event types. */
    INVALID_EVENT_TYPES("invalid_event_types"),
    /** More frames than {@code pulse.limits.messages-per-minute}; the frame was not handled. */
    RATE_LIMITED("rate_limited"),
    /** The connection already holds {@code pulse.limits.devices-per-connection} device subscriptions. */
    TOO_MANY_DEVICES("too_many_devices"),
    /** The connection is already in {@code pulse.limits.rooms-per-connection} rooms. */
    TOO_MANY_ROOMS("too_many_rooms"),
    /** The connection's event-type filter would hold more than {@code pulse.limits.event-types-per-connection}. */
    TOO_MANY_EVENT_TYPES("too_many_event_types"),
    /** A refresh carried no token, or one that failed verification; the current token stays in force. */
    INVALID_TOKEN("invalid_token"),
    /**
     * A client action ({@code {"type":"action","data":{...}}} of the per-item endpoint design, or
     * {@code "action":"action"}): clients do not publish through Pulse; their backends do, with
     * {@code POST /ws/broadcast}, which checks a publisher role.
     */
    CLIENT_ACTIONS_DISABLED("client_actions_disabled"),
    /** Binary frames carry nothing Pulse understands; the protocol is JSON text frames. */
    BINARY_NOT_SUPPORTED("binary_not_supported"),
    /** Pulse failed to handle a valid request; the request can be retried. */
    INTERNAL_ERROR("internal_error");

    private final String wire;

    ErrorCode(String wire) {
        this.wire = wire;
    }

    /** The code as it appears on the wire. */
    public String wire() {
        return wire;
    }
}

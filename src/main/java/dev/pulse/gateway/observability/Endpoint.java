package dev.pulse.gateway.observability;

/** The WebSocket endpoints, as they appear in the {@code endpoint} label of the connection metrics. */
public enum Endpoint {
    /** {@code /api/v2/ws}. */
    API_V2("api_v2"),
    /** {@code /ws}. */
    WS("ws"),
    /** {@code /ws/rooms/{room}}. */
    ROOMS("rooms");

    private final String label;

    Endpoint(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}

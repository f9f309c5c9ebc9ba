package dev.pulse.gateway.api;

import java.util.Map;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The bodies of the REST side, as the OpenAPI document ({@code /q/openapi}) describes them. {@code OpenApiIT} checks
 * real answers against that document, so these types and what the resources send cannot drift apart.
 */
public final class RestTypes {

    private RestTypes() {
    }

    @Schema(name = "BroadcastRequest", description = "An event for the caller's tenant.")
    @RegisterForReflection
    public record BroadcastRequest(
            @Schema(required = true, pattern = "^[a-z][a-z0-9_.-]{0,63}$", examples = "alert_triggered")
            @JsonProperty("event_type") String eventType,
            @Schema(description = "Any JSON object; {} when left out") Map<String, Object> data,
            @Schema(description = "Only members of this room get it; every connection of the tenant without it",
                    pattern = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$") String room,
            @Schema(description = "Who published it (default api_server)", maxLength = 64) String source) {
    }

    @Schema(name = "BroadcastAccepted")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record BroadcastAccepted(
            @Schema(required = true, enumeration = "true") boolean success,
            @Schema(required = true) String message,
            @Schema(required = true) @JsonProperty("event_type") String eventType,
            String room,
            @Schema(required = true, description = "Connections of this replica that received it") int recipients) {
    }

    @Schema(name = "Error", description = "Every error answer of the REST side.")
    @RegisterForReflection
    public record ApiError(
            @Schema(required = true, enumeration = "false") boolean success,
            @Schema(required = true, enumeration = { "unauthorized", "forbidden", "empty_body", "malformed_json",
                    "invalid_body", "invalid_event_type", "invalid_data", "invalid_room", "invalid_source",
                    "request_timeout", "payload_too_large", "overloaded", "relay_unavailable" }) String error,
            @Schema(required = true) String message) {
    }

    @Schema(name = "TenantStatistics", description = "One tenant's figures on this replica since it started.")
    @RegisterForReflection
    public record TenantStatistics(
            @Schema(required = true) String tenant,
            @Schema(required = true) @JsonProperty("active_connections") long activeConnections,
            @Schema(required = true) @JsonProperty("total_connections") long totalConnections,
            @Schema(required = true) @JsonProperty("total_disconnections") long totalDisconnections,
            @Schema(required = true) @JsonProperty("total_rooms") long totalRooms,
            @Schema(required = true) @JsonProperty("messages_sent") long messagesSent,
            @Schema(required = true) @JsonProperty("messages_received") long messagesReceived,
            @Schema(required = true, description = "Members per room") Map<String, Integer> rooms) {
    }

    @Schema(name = "PlatformStatistics", description = "Every tenant's figures on this replica, and their totals.")
    @RegisterForReflection
    public record PlatformStatistics(
            @Schema(required = true) @JsonProperty("active_connections") long activeConnections,
            @Schema(required = true) @JsonProperty("total_connections") long totalConnections,
            @Schema(required = true) @JsonProperty("total_disconnections") long totalDisconnections,
            @Schema(required = true) @JsonProperty("total_rooms") long totalRooms,
            @Schema(required = true) @JsonProperty("messages_sent") long messagesSent,
            @Schema(required = true) @JsonProperty("messages_received") long messagesReceived,
            @Schema(required = true, description = "Members per room, keyed tenant/room") Map<String, Integer> rooms,
            @Schema(required = true) Map<String, TenantStatistics> tenants) {
    }
}

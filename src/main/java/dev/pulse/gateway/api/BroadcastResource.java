package dev.pulse.gateway.api;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.events.EventService;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.EventTypes;
import dev.pulse.gateway.protocol.Identifiers;
import dev.pulse.gateway.security.GatewayPrincipal;
import io.smallrye.common.annotation.NonBlocking;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code POST /ws/broadcast}: a backend publishes an event to its tenant's live connections. The tenant is the one of
 * the caller's token (a publisher role, verified by {@link RequestGuard} before the body was read), never one named
 * in the body. The event reaches every replica ({@link EventService}: relayed first, then delivered here); answers
 * 202 with the number of recipients on this replica.
 *
 * <p>Non-blocking: the body (at most {@code pulse.events.max-payload-bytes}, 413 beyond) is read on the event loop and
 * the relay is awaited without a thread; only the fan-out to local connections runs on a worker thread.
 */
@Path(BroadcastResource.PATH)
@SecurityScheme(securitySchemeName = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer", bearerFormat = "JWT",
        description = "A JWT of the tenant, from the issuer Pulse trusts (mp.jwt.verify.*)")
public class BroadcastResource {

    static final String PATH = "/ws/broadcast";

    private final EventService events;
    private final GatewayMetrics metrics;
    private final ObjectMapper mapper;
    private final int maxPayloadBytes;
    private final String defaultSource;

    public BroadcastResource(EventService events, GatewayMetrics metrics, ObjectMapper mapper, PulseConfig config) {
        this.events = events;
        this.metrics = metrics;
        this.mapper = mapper;
        this.maxPayloadBytes = config.events().maxPayloadBytes();
        this.defaultSource = config.events().defaultSource();
    }

    @POST
    @NonBlocking
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Publish an event to the caller's tenant",
            description = "Delivered to the tenant's connections on every replica (to one room's members when room is"
                    + " given), never to another tenant. The token needs a publisher role (pulse.events.publisher-roles)"
                    + " and is checked before the body is read.")
    @SecurityRequirement(name = "bearer")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = RestTypes.BroadcastRequest.class)))
    @APIResponse(responseCode = "202", description = "Accepted and delivered",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = RestTypes.BroadcastAccepted.class)))
    @APIResponse(responseCode = "400", description = "empty_body, malformed_json, invalid_body, invalid_event_type,"
            + " invalid_data, invalid_room or invalid_source", content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = RestTypes.ApiError.class)))
    @APIResponse(responseCode = "401", description = "unauthorized: missing, invalid or expired token",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = RestTypes.ApiError.class)))
    @APIResponse(responseCode = "403", description = "forbidden: no publisher role or no tenant",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = RestTypes.ApiError.class)))
    @APIResponse(responseCode = "408", description = "request_timeout: the body did not arrive within"
            + " pulse.http.body-timeout", content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = RestTypes.ApiError.class)))
    @APIResponse(responseCode = "413", description = "payload_too_large: over pulse.events.max-payload-bytes",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = RestTypes.ApiError.class)))
    @APIResponse(responseCode = "429", description = "overloaded: this replica's fan-out is at its bound"
            + " (pulse.events.max-queue-delay, max-in-flight, max-in-flight-per-tenant); delivered nowhere; retry after"
            + " the Retry-After seconds",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = RestTypes.ApiError.class)))
    @APIResponse(responseCode = "503", description = "relay_unavailable: not relayed to the other replicas and"
            + " delivered nowhere; safe to retry", content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = RestTypes.ApiError.class)))
    public Uni<Response> broadcast(@Context RoutingContext context, byte[] body) {
        GatewayPrincipal caller = RequestGuard.principal(context);
        Response invalid = null;
        JsonNode request = null;
        if (body == null || body.length == 0) {
            invalid = RestErrors.badRequest("empty_body", "Send a JSON object: {\"event_type\":...,\"data\":{...}}");
        } else if (body.length > maxPayloadBytes) {
            invalid = RestErrors.tooLarge("The body has " + body.length + " bytes; the limit is " + maxPayloadBytes);
        } else {
            try {
                request = mapper.readTree(new String(body, StandardCharsets.UTF_8));
            } catch (JacksonException e) {
                invalid = RestErrors.badRequest("malformed_json", "The body is not valid JSON");
            }
        }
        if (invalid == null) {
            invalid = validate(request);
        }
        if (invalid != null) {
            metrics.broadcastRequest("invalid", caller.tenant());
            return Uni.createFrom().item(invalid);
        }
        String eventType = request.get("event_type").textValue();
        String room = optionalText(request, "room").orElse(null);
        String source = optionalText(request, "source").orElse(defaultSource);
        JsonNode data = request.get("data");
        ObjectNode payload = data == null || data.isNull() ? mapper.createObjectNode() : (ObjectNode) data;
        return events.broadcast(caller.tenant(), eventType, payload, source, room).map(outcome -> {
            if (outcome instanceof EventService.Outcome.Throttled throttled) {
                metrics.broadcastRequest("throttled", caller.tenant());
                return RestErrors.throttled(throttled.retryAfter());
            }
            if (outcome instanceof EventService.Outcome.RelayUnavailable) {
                metrics.broadcastRequest("unavailable", caller.tenant());
                return RestErrors.unavailable("relay_unavailable", "The event could not be relayed to the other"
                        + " replicas (PostgreSQL is unreachable) and was delivered nowhere; retry later");
            }
            metrics.broadcastRequest("accepted", caller.tenant());
            return Response.accepted(new RestTypes.BroadcastAccepted(true, "Event broadcast", eventType, room,
                    ((EventService.Outcome.Delivered) outcome).recipients())).build();
        });
    }

    private Response validate(JsonNode request) {
        if (!request.isObject()) {
            return RestErrors.badRequest("invalid_body", "The body must be a JSON object");
        }
        JsonNode eventType = request.get("event_type");
        if (eventType == null || !eventType.isTextual() || !EventTypes.isValid(eventType.textValue())) {
            return RestErrors.badRequest("invalid_event_type",
                    "event_type must be a string of lowercase letters, digits and _ . - (at most 64 characters)");
        }
        JsonNode data = request.get("data");
        if (data != null && !data.isNull() && !data.isObject()) {
            return RestErrors.badRequest("invalid_data", "data must be a JSON object");
        }
        JsonNode room = request.get("room");
        if (room != null && !room.isNull() && (!room.isTextual() || !Identifiers.isValidRoom(room.textValue()))) {
            return RestErrors.badRequest("invalid_room",
                    "room must be 1 to 64 characters: letters, digits and . _ : - (starting with a letter or digit)");
        }
        JsonNode source = request.get("source");
        if (source != null && !source.isNull() && (!source.isTextual() || source.textValue().length() > 64
                || source.textValue().isBlank())) {
            return RestErrors.badRequest("invalid_source", "source must be a non-empty string of at most 64 characters");
        }
        return null;
    }

    private static Optional<String> optionalText(JsonNode request, String field) {
        JsonNode node = request.get(field);
        return node != null && node.isTextual() ? Optional.of(node.textValue()) : Optional.empty();
    }
}

package dev.pulse.gateway.events;

import java.util.Map;
import java.util.function.BiConsumer;

import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.pulse.gateway.security.AuthenticationFailure;

/** Error answers of the REST resources: {@code {"success":false,"error":"<code>","message":"<text>"}}. */
final class RestErrors {

    private RestErrors() {
    }

    static Response badRequest(String code, String message) {
        return error(Response.Status.BAD_REQUEST, code, message);
    }

    /**
     * 401 for a missing or invalid token (with a {@code WWW-Authenticate} challenge), 403 for a valid token without
     * the role or tenant the resource needs. Reports the outcome ({@code unauthorized} or {@code forbidden}).
     */
    static Response authentication(AuthenticationFailure failure, BiConsumer<String, String> outcome) {
        boolean forbidden = failure.closeReason().getCode() == 4003;
        outcome.accept(forbidden ? "forbidden" : "unauthorized", null);
        if (forbidden) {
            return forbidden();
        }
        return Response.fromResponse(error(Response.Status.UNAUTHORIZED, "unauthorized",
                "missing_token".equals(failure.metricReason()) ? "Send Authorization: Bearer <token>"
                        : "Invalid or expired token"))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").build();
    }

    /** 403: a valid token without the role or tenant this needs. */
    static Response forbidden() {
        return error(Response.Status.FORBIDDEN, "forbidden", "The token has no tenant or no role allowed to do this");
    }

    /** 503: the event could not be relayed and was delivered nowhere; the caller may retry. */
    static Response unavailable(String code, String message) {
        return error(Response.Status.SERVICE_UNAVAILABLE, code, message);
    }

    private static Response error(Response.Status status, String code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("success", false, "error", code, "message", message)).build();
    }
}

package dev.pulse.gateway.api;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Error answers of the REST resources: {@code {"success":false,"error":"<code>","message":"<text>"}} (the same shape
 * {@link RequestGuard} answers with).
 */
final class RestErrors {

    private RestErrors() {
    }

    static Response badRequest(String code, String message) {
        return error(Response.Status.BAD_REQUEST, code, message);
    }

    /** 413: a body over {@code pulse.events.max-payload-bytes} that was sent without a declared length. */
    static Response tooLarge(String message) {
        return error(Response.Status.REQUEST_ENTITY_TOO_LARGE, "payload_too_large", message);
    }

    /** 403: a valid token without the role or tenant this needs. */
    static Response forbidden() {
        return error(Response.Status.FORBIDDEN, "forbidden", "The token has no tenant or no role allowed to do this");
    }

    /** 429 with {@code Retry-After} (whole seconds, at least 1): fan-out is at its bound; the event went nowhere. */
    static Response throttled(java.time.Duration retryAfter) {
        long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        return Response.fromResponse(error(Response.Status.TOO_MANY_REQUESTS, "overloaded", "Too many messages are"
                + " waiting to be delivered; the event was delivered nowhere; retry in " + seconds + " s"))
                .header("Retry-After", seconds).build();
    }

    /** 503: the event could not be relayed and was delivered nowhere; the caller may retry. */
    static Response unavailable(String code, String message) {
        return error(Response.Status.SERVICE_UNAVAILABLE, code, message);
    }

    private static Response error(Response.Status status, String code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(new RestTypes.ApiError(false, code, message)).build();
    }
}

package dev.pulse.gateway.protocol;

import io.quarkus.websockets.next.CloseReason;

/**
 * Close codes Pulse sends. Authentication failures close an accepted connection (instead of refusing the HTTP
 * upgrade) because a browser sees only the close frame of a WebSocket, never the status of a refused upgrade.
 */
public final class CloseCodes {

    /** No token in the {@code token} query parameter nor in an {@code Authorization: Bearer} header. */
    public static final CloseReason MISSING_TOKEN = new CloseReason(4001, "Missing token parameter");

    /** Signature, issuer, audience, expiry or not-before check failed, or the token is not a JWT. */
    public static final CloseReason INVALID_TOKEN = new CloseReason(4001, "Invalid or expired token");

    /** The token is valid but carries no usable tenant or no allowed role. */
    public static final CloseReason UNAUTHORIZED = new CloseReason(4003, "Unauthorized");

    /** More messages than allowed arrived before the connection finished authenticating. */
    public static final CloseReason EARLY_FLOOD = new CloseReason(1008, "Too many messages before authentication");

    private CloseCodes() {
    }
}

package dev.pulse.gateway.protocol;

import java.time.Duration;

import io.quarkus.websockets.next.CloseReason;

/**
 * Close codes Pulse sends (src/docs/protocol.md's close-code table lists them with their reconnect class; DocsTest checks it). Authentication
 * failures close an accepted connection (instead of refusing the HTTP
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

    /** Too many frames after rate-limit warnings. Do not reconnect in a loop: slow the client down. */
    public static final CloseReason RATE_LIMIT = new CloseReason(1008, "Rate limit exceeded");

    /** The token's {@code exp} passed and no refresh arrived. Reconnect with a fresh token. */
    public static final CloseReason TOKEN_EXPIRED = new CloseReason(4001, "Token expired");

    /** The client did not read its messages fast enough. Reconnect with back-off. */
    public static final CloseReason SLOW_CONSUMER = new CloseReason(4009, "Slow consumer: messages were not read");

    /** No pong within the pong timeout. Reconnect. */
    public static final CloseReason PING_TIMEOUT = new CloseReason(4010, "Ping timeout");

    /** Neither traffic nor subscriptions for the idle timeout. Reconnect when there is something to watch. */
    public static final CloseReason IDLE = new CloseReason(4011, "Idle timeout");

    /** The tenant's or subject's connection limit is reached. Reconnect later, with back-off. */
    public static final CloseReason TOO_MANY_CONNECTIONS = new CloseReason(4029, "Too many connections");

    /**
     * Close codes that get their own value of the {@code code} label of {@code pulse_connections_closed_total}: the
     * codes Pulse sends, plus the standard ones a well-behaved client or a dropped connection produces. Any other code
     * a client chooses is counted as {@code client}, so clients cannot create metric series.
     */
    private static final java.util.Set<Integer> LABELLED = java.util.Set.of(1000, 1001, 1002, 1006, 1007, 1008, 1009,
            1011, 1013, 4001, 4003, 4009, 4010, 4011, 4029);

    private CloseCodes() {
    }

    /** Every value the {@code code} label of {@code pulse_connections_closed_total} can take. */
    public static java.util.Set<String> metricLabels() {
        java.util.Set<String> labels = new java.util.TreeSet<>();
        LABELLED.forEach(code -> labels.add(Integer.toString(code)));
        labels.add("client");
        return labels;
    }

    /** The metric label of a close code: the code itself when Pulse defines it, {@code client} otherwise. */
    public static String metricLabel(int code) {
        return LABELLED.contains(code) ? Integer.toString(code) : "client";
    }

    /** 1013: too many new connections right now; the reason carries when to retry. */
    public static CloseReason tryAgainLater(Duration retryAfter) {
        return new CloseReason(1013, "Try again later; reconnect in " + retryAfter.toMillis() + " ms");
    }

    /** 1009: a message larger than {@code maxBytes} (the WebSocket message size limit). Do not resend it. */
    public static CloseReason messageTooBig(int maxBytes) {
        return new CloseReason(1009, "Message too big; the limit is " + maxBytes + " bytes");
    }

    /** 1001: the server is shutting down; the reason carries a jittered reconnect delay. */
    public static CloseReason goingAway(Duration reconnectAfter) {
        return new CloseReason(1001, "Server restarting; reconnect in " + reconnectAfter.toMillis() + " ms");
    }

}

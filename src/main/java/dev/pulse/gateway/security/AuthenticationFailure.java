package dev.pulse.gateway.security;

import io.quarkus.websockets.next.CloseReason;

/** A rejected connection: the close frame to send and a reason for logs and metrics (never the token). */
public final class AuthenticationFailure extends Exception {

    private final CloseReason closeReason;
    private final String metricReason;

    public AuthenticationFailure(CloseReason closeReason, String metricReason, String detail) {
        super(detail, null, false, false);
        this.closeReason = closeReason;
        this.metricReason = metricReason;
    }

    public CloseReason closeReason() {
        return closeReason;
    }

    /** Short, bounded reason: {@code missing_token}, {@code invalid_token}, {@code no_tenant}, {@code role}. */
    public String metricReason() {
        return metricReason;
    }
}

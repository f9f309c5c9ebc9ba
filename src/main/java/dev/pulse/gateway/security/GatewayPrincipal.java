package dev.pulse.gateway.security;

import java.time.Instant;

/** Who is on a connection. The tenant comes only from here, never from a client message. */
public record GatewayPrincipal(String tenant, String subject, String role, Instant expiresAt) {
}

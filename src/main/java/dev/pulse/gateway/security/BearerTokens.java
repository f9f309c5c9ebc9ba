package dev.pulse.gateway.security;

import java.util.Optional;

/** Reads the token of an HTTP request's {@code Authorization: Bearer} header. */
public final class BearerTokens {

    private BearerTokens() {
    }

    public static Optional<String> fromAuthorization(String header) {
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = header.substring(7).trim();
            return token.isEmpty() ? Optional.empty() : Optional.of(token);
        }
        return Optional.empty();
    }
}

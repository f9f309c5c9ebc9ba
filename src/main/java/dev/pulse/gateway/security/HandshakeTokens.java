package dev.pulse.gateway.security;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import io.quarkus.websockets.next.HandshakeRequest;

/** Reads the bearer token and other parameters of a WebSocket handshake. */
public final class HandshakeTokens {

    private HandshakeTokens() {
    }

    /**
     * The token from the {@code token} query parameter (browsers cannot set headers on a WebSocket) or else from an
     * {@code Authorization: Bearer} header. Blank values count as absent.
     */
    public static Optional<String> token(HandshakeRequest request) {
        Optional<String> fromQuery = queryParameter(request.query(), "token");
        if (fromQuery.isPresent()) {
            return fromQuery;
        }
        return BearerTokens.fromAuthorization(request.header("Authorization"));
    }

    /** The first non-blank value of a query parameter, URL-decoded; absent when malformed. */
    public static Optional<String> queryParameter(String query, String name) {
        if (query == null || query.isEmpty()) {
            return Optional.empty();
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            if (!key.equals(name) || eq < 0) {
                continue;
            }
            try {
                String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8).trim();
                if (!value.isEmpty()) {
                    return Optional.of(value);
                }
            } catch (IllegalArgumentException malformedEscape) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}

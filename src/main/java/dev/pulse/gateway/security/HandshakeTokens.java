package dev.pulse.gateway.security;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import io.quarkus.websockets.next.HandshakeRequest;

/** Reads the bearer token and other parameters of a WebSocket handshake. */
public final class HandshakeTokens {

    private HandshakeTokens() {
    }

    /** The subprotocol entry that carries a token: {@code Sec-WebSocket-Protocol: pulse, bearer.<token>}. */
    public static final String SUBPROTOCOL_TOKEN_PREFIX = "bearer.";

    /**
     * The token, from the first carrier present: the {@code token} query parameter (simple, but lands in proxy logs),
     * a {@code bearer.<token>} entry of {@code Sec-WebSocket-Protocol} (how a browser keeps it out of URLs), or an
     * {@code Authorization: Bearer} header (non-browser clients). Blank values count as absent.
     */
    public static Optional<String> token(HandshakeRequest request) {
        Optional<String> fromQuery = queryParameter(request.query(), "token");
        if (fromQuery.isPresent()) {
            return fromQuery;
        }
        Optional<String> fromSubprotocol = subprotocolToken(request.header(HandshakeRequest.SEC_WEBSOCKET_PROTOCOL));
        if (fromSubprotocol.isPresent()) {
            return fromSubprotocol;
        }
        return BearerTokens.fromAuthorization(request.header("Authorization"));
    }

    static Optional<String> subprotocolToken(String header) {
        if (header == null) {
            return Optional.empty();
        }
        for (String protocol : header.split(",")) {
            String entry = protocol.strip();
            if (entry.startsWith(SUBPROTOCOL_TOKEN_PREFIX) && entry.length() > SUBPROTOCOL_TOKEN_PREFIX.length()) {
                return Optional.of(entry.substring(SUBPROTOCOL_TOKEN_PREFIX.length()));
            }
        }
        return Optional.empty();
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

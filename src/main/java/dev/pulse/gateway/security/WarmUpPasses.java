package dev.pulse.gateway.security;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The one-time passes the warm-up's own connections present instead of a JWT: Pulse holds no issuer's private key, so
 * it cannot sign a token its verifier would accept. A pass is 256 random bits, sent only to the replica's own listener;
 * it admits one connection of the reserved {@link #TENANT}, and every pass still unused is revoked when the
 * warm-up ends, so none outlives it.
 */
@ApplicationScoped
public class WarmUpPasses {

    /**
     * The warm-up's tenant. Reserved: a JWT naming it is refused ({@code TokenVerifier}), so no client shares the
     * warm-up's tenant, and its connections' lifecycle lines can be left out of the log by tenant.
     */
    public static final String TENANT = "pulse:warm-up";
    private static final String PREFIX = "warm-up.";

    private final SecureRandom random = new SecureRandom();
    private final Map<String, GatewayPrincipal> unused = new ConcurrentHashMap<>();

    /** Whether {@code tenant} is the warm-up's (null is not). */
    public static boolean isWarmUp(String tenant) {
        return TENANT.equals(tenant);
    }

    /** A new pass for {@code subject} with {@code role}, expiring at {@code expiresAt}. */
    public String issue(String subject, String role, Instant expiresAt) {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String pass = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        unused.put(pass, new GatewayPrincipal(TENANT, subject, role, expiresAt));
        return pass;
    }

    /** The principal of {@code token} if it is an unused pass, which it then no longer is. */
    public Optional<GatewayPrincipal> redeem(Optional<String> token) {
        if (token.isEmpty() || unused.isEmpty() || !token.get().startsWith(PREFIX)) {
            return Optional.empty();
        }
        return Optional.ofNullable(unused.remove(token.get()));
    }

    /** Revokes every pass not used yet. */
    public void revokeAll() {
        unused.clear();
    }
}

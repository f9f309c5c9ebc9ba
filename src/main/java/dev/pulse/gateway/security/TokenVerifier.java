package dev.pulse.gateway.security;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.crypto.SecretKey;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.JsonString;

import org.eclipse.microprofile.jwt.JsonWebToken;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.protocol.CloseCodes;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;

/**
 * Verifies a JWT with the standard {@code mp.jwt.verify.*} settings (signature with a public key or JWKS, expiry and
 * not-before with the configured clock skew, issuer, audience when configured) and maps its claims to a
 * {@link GatewayPrincipal}.
 *
 * <p>A token verified once is remembered for {@code pulse.auth.verified-token-ttl}: the same token again costs a map
 * lookup and the claim checks, not a signature verification. The claims are checked on every use (roles differ
 * between uses), and so is expiry.
 *
 * <p>May block: fetching a remote JWKS is network I/O. Call it from a worker thread.
 */
@ApplicationScoped
public class TokenVerifier {

    /** Tenant ids reach InfluxQL string literals and log lines; control characters have no business in either. */
    private static final int TENANT_MAX_LENGTH = 128;
    private final JWTParser parser;
    private final PulseConfig.Auth config;
    private final Set<String> allowedRoles;
    private final Map<String, Verified> verified = new ConcurrentHashMap<>();
    private final long verifiedTtlNanos;
    private final int maxVerified;

    /**
     * {@code nativeRsa} is not used here: taking it makes sure NSS is in place (or known to be missing) before the
     * first signature is checked, the warm-up's included.
     */
    public TokenVerifier(JWTParser parser, PulseConfig config, NativeRsaVerification nativeRsa) {
        this.parser = parser;
        this.config = config.auth();
        this.allowedRoles = Set.copyOf(config.auth().roles());
        this.verifiedTtlNanos = config.auth().verifiedTokenTtl().toNanos();
        this.maxVerified = Math.max(1, config.auth().verifiedTokens());
    }

    /** Verifies a WebSocket client's token: a tenant and one of {@code pulse.auth.roles} are required. */
    public GatewayPrincipal verify(Optional<String> token) throws AuthenticationFailure {
        return verify(token, allowedRoles, true);
    }

    /**
     * Verifies a token for one use: its role must be one of {@code roles}, and it must carry a tenant unless
     * {@code tenantRequired} is false (a principal without tenant has a null {@link GatewayPrincipal#tenant()}).
     */
    public GatewayPrincipal verify(Optional<String> token, Set<String> roles, boolean tenantRequired)
            throws AuthenticationFailure {
        if (token.isEmpty()) {
            throw new AuthenticationFailure(CloseCodes.MISSING_TOKEN, "missing_token", "no token");
        }
        requireCompact(token.get());
        return principal(verifiedClaims(token.get()), roles, tenantRequired);
    }

    /**
     * What {@link #verify(Optional, Set, boolean)} answers for a token verified within
     * {@code pulse.auth.verified-token-ttl}, without blocking: a map lookup and the claim checks. Null when the token
     * is not remembered, and only {@link #verify(Optional, Set, boolean)} (which may block) can tell. A publisher
     * calling with the same token many times a second costs no thread hand-off this way.
     */
    public GatewayPrincipal rememberedPrincipal(String token, Set<String> roles, boolean tenantRequired)
            throws AuthenticationFailure {
        Claims claims = remembered(token, System.nanoTime());
        return claims == null ? null : principal(claims, roles, tenantRequired);
    }

    /**
     * What {@link #verify(Optional)} does, for a token signed with {@code key} instead of a configured key, and never
     * remembered as verified: how the warm-up runs this code (and the parser's, claims included) without holding any
     * issuer's private key. The configured issuer, audience and time checks apply as to any token.
     */
    public void verifyWarmUpToken(String token, SecretKey key) throws AuthenticationFailure {
        requireCompact(token);
        JsonWebToken jwt;
        try {
            jwt = parser.verify(token, key);
        } catch (ParseException | RuntimeException e) {
            throw new AuthenticationFailure(CloseCodes.INVALID_TOKEN, "invalid_token", rootMessage(e));
        }
        principal(claims(jwt), allowedRoles, true);
    }

    private static void requireCompact(String token) throws AuthenticationFailure {
        if (!isCompact(token)) {
            throw new AuthenticationFailure(CloseCodes.INVALID_TOKEN, "invalid_token", "not a compact JWT");
        }
    }

    /**
     * A compact JWS (three base64url parts, RFC 7515 section 7.1) or JWE (five, RFC 7516), the first part not empty,
     * nothing else. The parser's decoder skips characters outside the alphabet, so without this check
     * {@code "sig,nature"} verified like {@code "signature"}: harmless for the claims, which stay signed, but it makes
     * one token many strings. A loop, not a regular expression: it runs for every connecting client, and the
     * expression's matcher showed in the profile of a fleet connecting.
     */
    static boolean isCompact(String token) {
        int dots = 0;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '.') {
                if (i == 0) {
                    return false;
                }
                dots++;
            } else if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                return false;
            }
        }
        return dots == 2 || dots == 4;
    }

    private GatewayPrincipal principal(Claims claims, Set<String> roles, boolean tenantRequired)
            throws AuthenticationFailure {
        String tenant = claims.tenant();
        if (!claims.usableTenant() && (tenantRequired || tenant != null)) {
            throw new AuthenticationFailure(CloseCodes.UNAUTHORIZED, "no_tenant", "no usable tenant claim");
        }
        if (WarmUpPasses.isWarmUp(tenant)) {
            throw new AuthenticationFailure(CloseCodes.UNAUTHORIZED, "no_tenant", "tenant id reserved for the warm-up");
        }
        String role = allowedRole(claims, roles);
        if (role == null) {
            throw new AuthenticationFailure(CloseCodes.UNAUTHORIZED, "role", "no allowed role");
        }
        Instant expiresAt = claims.expiresAtSecond() > 0 ? Instant.ofEpochSecond(claims.expiresAtSecond()) : null;
        return new GatewayPrincipal(tenant, claims.subject(), role, expiresAt);
    }

    /**
     * The token's claims, its signature, issuer, audience and time checked by the parser, or remembered from an
     * earlier check of the same token within {@code pulse.auth.verified-token-ttl} while it has not expired.
     */
    private Claims verifiedClaims(String token) throws AuthenticationFailure {
        long now = System.nanoTime();
        Claims remembered = remembered(token, now);
        if (remembered != null) {
            return remembered;
        }
        Claims claims;
        try {
            claims = claims(parser.parse(token));
        } catch (ParseException | RuntimeException e) {
            verified.remove(token);
            throw new AuthenticationFailure(CloseCodes.INVALID_TOKEN, "invalid_token", rootMessage(e));
        }
        if (verifiedTtlNanos > 0) {
            if (verified.size() >= maxVerified) {
                // Simpler than an eviction order, and rare: the tokens in use are verified again once each.
                verified.clear();
            }
            verified.put(token, new Verified(claims, now));
        }
        return claims;
    }

    /** The claims of a token verified within the TTL that has not expired since, or null. */
    private Claims remembered(String token, long nowNanos) {
        Verified remembered = verified.get(token);
        if (remembered == null || nowNanos - remembered.verifiedAt() >= verifiedTtlNanos) {
            return null;
        }
        long expiresAt = remembered.claims().expiresAtSecond();
        return expiresAt == 0 || Instant.now().getEpochSecond() < expiresAt ? remembered.claims() : null;
    }

    private record Verified(Claims claims, long verifiedAt) {
    }

    /**
     * What Pulse reads of a verified token, read once: the parser's {@code getClaim} throws and catches an exception
     * for every claim outside the standard ones (tenant and role are such claims), which showed in the profile of a
     * publisher posting hundreds of events a second with one token.
     */
    private record Claims(String tenant, boolean usableTenant, String role, List<String> groups, String subject,
            long expiresAtSecond) {
    }

    private Claims claims(JsonWebToken jwt) {
        List<String> groups = List.of();
        if (config.rolesFromGroups() && jwt.getClaim("groups") instanceof Collection<?> values) {
            groups = values.stream().map(TokenVerifier::asString).filter(Objects::nonNull).toList();
        }
        String tenant = stringClaim(jwt, config.tenantClaim());
        boolean usableTenant = tenant != null && !tenant.isBlank() && tenant.length() <= TENANT_MAX_LENGTH
                && tenant.chars().noneMatch(Character::isISOControl);
        String subject = jwt.getSubject() != null ? jwt.getSubject() : jwt.getName();
        return new Claims(tenant, usableTenant, stringClaim(jwt, config.roleClaim()), groups,
                subject == null ? "" : subject, Math.max(0, jwt.getExpirationTime()));
    }

    private static String allowedRole(Claims claims, Set<String> roles) {
        if (claims.role() != null && roles.contains(claims.role())) {
            return claims.role();
        }
        for (String group : claims.groups()) {
            if (roles.contains(group)) {
                return group;
            }
        }
        return null;
    }

    private static String stringClaim(JsonWebToken jwt, String name) {
        return asString(jwt.getClaim(name));
    }

    /** Claims arrive as {@code String} or {@code JsonString} depending on the claim; anything else is not a string. */
    private static String asString(Object value) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof JsonString s) {
            return s.getString();
        }
        return null;
    }

    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName();
    }
}

package dev.pulse.gateway.support;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;

/** Signed test tokens. Valid ones use the test profile's key and issuer; each variation breaks one thing. */
public final class Tokens {

    public static final String ISSUER = "https://pulse.test/issuer";

    private Tokens() {
    }

    /** A unique tenant id, so tests never see each other's data. */
    public static String newTenant() {
        return "tenant-" + UUID.randomUUID();
    }

    public static JwtClaimsBuilder claims(String tenant, String role) {
        return Jwt.issuer(ISSUER).subject("user-" + UUID.randomUUID()).claim("tenant_id", tenant).claim("role", role)
                .issuedAt(Instant.now()).expiresIn(Duration.ofMinutes(30));
    }

    public static String valid(String tenant) {
        return claims(tenant, "customer_viewer").sign();
    }

    public static String sign(JwtClaimsBuilder claims) {
        return claims.sign();
    }
}

package dev.pulse.gateway.support;

import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import io.smallrye.jwt.util.KeyUtils;

/** Signed test tokens. Valid ones use the test profile's key and issuer; each variation breaks one thing. */
public final class Tokens {

    public static final String ISSUER = "https://pulse.test/issuer";
    /** The test profile requires this audience (mp.jwt.verify.audiences). */
    public static final String AUDIENCE = "pulse-gateway";

    private Tokens() {
    }

    /** A unique tenant id, so tests never see each other's data. */
    public static String newTenant() {
        return "tenant-" + UUID.randomUUID();
    }

    /** Issuer, audience, subject and lifetime right; no tenant or role yet. */
    public static JwtClaimsBuilder base() {
        return Jwt.issuer(ISSUER).audience(AUDIENCE).subject("user-" + UUID.randomUUID()).issuedAt(Instant.now())
                .expiresIn(Duration.ofMinutes(30));
    }

    public static JwtClaimsBuilder claims(String tenant, String role) {
        return base().claim("tenant_id", tenant).claim("role", role);
    }

    public static String valid(String tenant) {
        return sign(claims(tenant, "customer_viewer"));
    }

    /**
     * Signs with the test private key read directly, so it works in a JVM without the test profile's configuration
     * too: the integration tests against the packaged application and the native executable.
     */
    public static String sign(JwtClaimsBuilder claims) {
        return claims.jws().sign(TestKey.PRIVATE);
    }

    /** Loaded once, on first use. */
    private static final class TestKey {
        static final PrivateKey PRIVATE = load();

        private static PrivateKey load() {
            try {
                return KeyUtils.readPrivateKey("test-keys/private.pem");
            } catch (Exception e) {
                throw new IllegalStateException("cannot read the test private key", e);
            }
        }
    }
}

package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.Meters;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.jwt.build.Jwt;

/**
 * Every way a token can fail arrives as a close frame with the documented code and reason, on both endpoints, and
 * nothing is registered or pushed for a rejected client.
 */
@QuarkusTest
class AuthenticationTest extends QuietRegistryTest {

    private static final WsClient.Close MISSING = new WsClient.Close(4001, "Missing token parameter");
    private static final WsClient.Close INVALID = new WsClient.Close(4001, "Invalid or expired token");
    private static final WsClient.Close UNAUTHORIZED = new WsClient.Close(4003, "Unauthorized");


    @Test
    void missingTokenIsClosedWith4001() {
        assertRejected(Endpoints.apiV2(null), MISSING);
        assertRejected(Endpoints.ws(null), MISSING);
        assertRejected(Endpoints.uri("/api/v2/ws", "   "), MISSING);
    }

    @Test
    void invalidTokensAreClosedWith4001() {
        String tenant = Tokens.newTenant();
        List<String> invalid = List.of(
                "not-a-jwt",
                Tokens.claims(tenant, "customer_admin").expiresAt(Instant.now().minusSeconds(300)).sign(),
                Tokens.claims(tenant, "customer_admin").claim("nbf", Instant.now().plusSeconds(600).getEpochSecond())
                        .sign(),
                Tokens.claims(tenant, "customer_admin").issuer("https://someone-else.example").sign(),
                Tokens.claims(tenant, "customer_admin").audience("some-other-service").sign(),
                Jwt.issuer(Tokens.ISSUER).subject("no-audience").claim("tenant_id", tenant)
                        .claim("role", "customer_admin").expiresIn(600).sign(),
                Tokens.claims(tenant, "customer_admin").jws().sign(foreignKey()),
                tampered(Tokens.valid(tenant)),
                // Its signature with a character base64url does not have: the parser alone would skip it and accept.
                withCommaInSignature(Tokens.valid(tenant)),
                unsigned(tenant),
                Jwt.claims().issuer(Tokens.ISSUER).audience(Tokens.AUDIENCE).claim("tenant_id", tenant)
                        .claim("role", "customer_admin").expiresIn(600).jws().algorithm(io.smallrye.jwt.algorithm.SignatureAlgorithm.HS256)
                        .sign(hmacKeyFromPublicKey()));
        for (String token : invalid) {
            assertRejected(Endpoints.apiV2(token), INVALID);
        }
        assertRejected(Endpoints.ws("not-a-jwt"), INVALID);
    }

    @Test
    void tokensWithoutTenantOrAllowedRoleAreClosedWith4003() {
        String tenant = Tokens.newTenant();
        List<String> unauthorized = List.of(
                Tokens.base().claim("role", "customer_admin").expiresIn(600).sign(),
                Tokens.base().claim("tenant_id", 42).claim("role", "customer_admin")
                        .expiresIn(600).sign(),
                Tokens.base().claim("tenant_id", "").claim("role", "customer_admin")
                        .expiresIn(600).sign(),
                // The warm-up's tenant is reserved: no client shares it with a starting replica's own connections.
                Tokens.valid(WarmUpPasses.TENANT),
                Tokens.claims(tenant, "platform_root").sign(),
                Tokens.base().claim("tenant_id", tenant).expiresIn(600).sign(),
                Tokens.base().claim("tenant_id", tenant).groups("guest").expiresIn(600)
                        .sign(),
                // Roles come from the role claim alone unless pulse.auth.roles-from-groups is on.
                Tokens.base().claim("tenant_id", tenant).groups(java.util.Set.of("customer_admin")).expiresIn(600)
                        .sign());
        for (String token : unauthorized) {
            assertRejected(Endpoints.apiV2(token), UNAUTHORIZED);
        }
        assertRejected(Endpoints.ws(unauthorized.get(0)), UNAUTHORIZED);
    }

    @Test
    void validTokensAreAcceptedFromQueryAndHeader() {
        String tenant = Tokens.newTenant();
        try (WsClient query = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)));
                WsClient header = WsClient.connect(Endpoints.apiV2(null),
                        Map.of("Authorization", "Bearer " + Tokens.valid(tenant)))) {
            for (WsClient client : List.of(query, header)) {
                assertThat(client.send(Frames.ping()).next().path("type").asText()).isEqualTo("pong");
            }
            assertThat(registry.connectionCount()).isEqualTo(2);
        }
    }

    @Test
    void rejectionsAreCountedByReason() {
        double before = Meters.counter("pulse.auth.failures", "reason", "missing_token");
        assertRejected(Endpoints.apiV2(null), MISSING);
        assertThat(Meters.counter("pulse.auth.failures", "reason", "missing_token")).isEqualTo(before + 1);
    }

    private void assertRejected(java.net.URI uri, WsClient.Close expected) {
        try (WsClient client = WsClient.connect(uri)) {
            assertThat(client.awaitClose()).isEqualTo(expected);
            assertThat(client.drain()).isEmpty();
        }
        assertThat(registry.connectionCount()).isZero();
        assertThat(registry.tenantCount()).isZero();
    }

    private static String withCommaInSignature(String token) {
        return new StringBuilder(token).insert(token.length() - 20, ',').toString();
    }

    private static String tampered(String token) {
        String[] parts = token.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("customer_viewer", "customer_admin");
        return parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    }

    /** {@code alg: none}: a token anyone can forge. */
    private static String unsigned(String tenant) {
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        String header = encoder.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = encoder.encodeToString(("{\"iss\":\"" + Tokens.ISSUER + "\",\"aud\":\"" + Tokens.AUDIENCE
                + "\",\"tenant_id\":\"" + tenant
                + "\",\"role\":\"customer_admin\",\"exp\":" + (Instant.now().getEpochSecond() + 600) + "}")
                .getBytes(StandardCharsets.UTF_8));
        return header + "." + payload + ".";
    }

    private static java.security.PrivateKey foreignKey() {
        return readPrivateKey("test-keys/foreign-private.pem");
    }

    /** The classic key-confusion attack: HS256 with the server's public key as the shared secret. */
    private static javax.crypto.SecretKey hmacKeyFromPublicKey() {
        try (var in = AuthenticationTest.class.getClassLoader().getResourceAsStream("test-keys/public.pem")) {
            return new javax.crypto.spec.SecretKeySpec(in.readAllBytes(), "HmacSHA256");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static java.security.PrivateKey readPrivateKey(String resource) {
        try (var in = AuthenticationTest.class.getClassLoader().getResourceAsStream(resource)) {
            String pem = new String(in.readAllBytes(), StandardCharsets.US_ASCII)
                    .replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            return java.security.KeyFactory.getInstance("RSA")
                    .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

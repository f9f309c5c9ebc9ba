package dev.pulse.gateway.security;

import java.time.Duration;

import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.pulse.gateway.config.PulseConfig;
import io.quarkus.arc.profile.IfBuildProfile;
import io.smallrye.jwt.build.Jwt;

/**
 * Mints tokens signed with the local dev key, so a developer can connect without an identity provider. Exists only
 * in builds of the dev profile: a production build does not contain this endpoint.
 */
@IfBuildProfile("dev")
@Path("/dev/token")
public class DevTokenResource {

    private final PulseConfig config;
    private final String issuer;

    public DevTokenResource(PulseConfig config, @ConfigProperty(name = "mp.jwt.verify.issuer") String issuer) {
        this.config = config;
        this.issuer = issuer;
    }

    @GET
    @Produces(MediaType.TEXT_PLAIN)
    public String token(@QueryParam("tenant") @DefaultValue("demo") String tenant,
            @QueryParam("role") @DefaultValue("customer_admin") String role,
            @QueryParam("subject") @DefaultValue("developer") String subject,
            @QueryParam("ttl_minutes") @DefaultValue("720") int ttlMinutes) {
        Duration ttl = Duration.ofMinutes(Math.max(1, Math.min(ttlMinutes, 7 * 24 * 60)));
        return Jwt.issuer(issuer)
                .subject(subject)
                .claim(config.auth().tenantClaim(), tenant)
                .claim(config.auth().roleClaim(), role)
                .expiresIn(ttl)
                .sign();
    }
}

package dev.pulse.gateway.security;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.eclipse.microprofile.config.Config;

import dev.pulse.gateway.config.PulseConfig;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start in production without the settings that make its trust decisions meaningful: a verification key
 * (public key or JWKS), an expected issuer and an expected audience for tokens, and, while the cluster relay is on, a
 * shared secret of at least {@value #MIN_CLUSTER_SECRET_BYTES} bytes for the envelopes replicas exchange. Failing at
 * start-up, with every missing setting named, beats accepting tokens minted for another service or events forged by
 * anyone who can log in to the database.
 */
public class ProductionSettingsCheck {

    /** An HMAC-SHA256 key shorter than its output invites guessing; 32 bytes is the hash's own size. */
    public static final int MIN_CLUSTER_SECRET_BYTES = 32;

    /** First of the start-up observers, so the message names every missing setting at once. */
    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event, Config config,
            PulseConfig pulse) {
        if (LaunchMode.current() != LaunchMode.NORMAL) {
            return;
        }
        List<String> missing = missingSettings(config, pulse);
        if (!missing.isEmpty()) {
            throw new IllegalStateException("Pulse refuses to start in the prod profile: " + String.join("; ", missing));
        }
    }

    static List<String> missingSettings(Config config, PulseConfig pulse) {
        List<String> missing = new ArrayList<>();
        if (config.getOptionalValue("mp.jwt.verify.publickey", String.class).isEmpty()
                && config.getOptionalValue("mp.jwt.verify.publickey.location", String.class).isEmpty()) {
            missing.add("set MP_JWT_VERIFY_PUBLICKEY_LOCATION (or MP_JWT_VERIFY_PUBLICKEY) to verify tokens");
        }
        if (config.getOptionalValue("mp.jwt.verify.issuer", String.class).isEmpty()) {
            missing.add("set MP_JWT_VERIFY_ISSUER to the issuer of Pulse's tokens");
        }
        if (config.getOptionalValue("mp.jwt.verify.audiences", String.class).filter(a -> !a.isBlank()).isEmpty()) {
            missing.add("set MP_JWT_VERIFY_AUDIENCES to the audience of Pulse's tokens (e.g. pulse-gateway), so tokens"
                    + " minted for other services are refused");
        }
        if (pulse.cluster().enabled()) {
            int length = pulse.cluster().secret().map(s -> s.getBytes(StandardCharsets.UTF_8).length).orElse(0);
            if (length < MIN_CLUSTER_SECRET_BYTES) {
                missing.add("set PULSE_CLUSTER_SECRET to the same random value of at least " + MIN_CLUSTER_SECRET_BYTES
                        + " bytes on every replica (it signs the events replicas relay; now "
                        + (length == 0 ? "unset" : length + " bytes") + "), or PULSE_CLUSTER_ENABLED=false");
            }
        }
        return missing;
    }
}

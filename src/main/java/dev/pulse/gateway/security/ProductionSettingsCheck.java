package dev.pulse.gateway.security;

import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.Config;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start in production without the settings that make token verification meaningful: a verification key
 * (public key or JWKS) and an expected issuer. Failing at start-up beats accepting tokens from anyone's issuer.
 */
public class ProductionSettingsCheck {

    void onStart(@Observes StartupEvent event, Config config) {
        if (LaunchMode.current() != LaunchMode.NORMAL) {
            return;
        }
        List<String> missing = new ArrayList<>();
        if (config.getOptionalValue("mp.jwt.verify.publickey", String.class).isEmpty()
                && config.getOptionalValue("mp.jwt.verify.publickey.location", String.class).isEmpty()) {
            missing.add("MP_JWT_VERIFY_PUBLICKEY_LOCATION (or MP_JWT_VERIFY_PUBLICKEY)");
        }
        if (config.getOptionalValue("mp.jwt.verify.issuer", String.class).isEmpty()) {
            missing.add("MP_JWT_VERIFY_ISSUER");
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("Pulse cannot verify tokens: set " + String.join(" and ", missing));
        }
    }
}

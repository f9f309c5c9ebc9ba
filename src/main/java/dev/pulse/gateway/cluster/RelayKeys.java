package dev.pulse.gateway.cluster;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.pulse.gateway.config.PulseConfig;

/**
 * What {@code pulse.cluster.secret} gives the relay channels: one seal for all of them (one replay memory, since ids
 * are unique whatever the channel; the channel is signed with the body) and the cipher of poll results. Checked once,
 * here: the relay cannot run without the secret.
 */
@ApplicationScoped
public class RelayKeys {

    private final EnvelopeSeal seal;
    private final PayloadCipher cipher;

    public RelayKeys(PostgresBus bus, ObjectMapper mapper, PulseConfig config) {
        PulseConfig.Cluster cluster = config.cluster();
        if (!bus.enabled()) {
            this.seal = null;
            this.cipher = null;
            return;
        }
        String secret = cluster.secret().filter(s -> !s.isEmpty()).orElseThrow(() -> new IllegalStateException(
                "pulse.cluster.secret (PULSE_CLUSTER_SECRET) is required while pulse.cluster.enabled is true: the same"
                        + " random value of at least 32 bytes on every replica"));
        this.seal = new EnvelopeSeal(secret, cluster.maxAge(), cluster.replayCacheSize(), mapper,
                System::currentTimeMillis);
        this.cipher = new PayloadCipher(secret);
    }

    /** Seals and opens what every channel carries; null while the relay is off. */
    EnvelopeSeal seal() {
        return seal;
    }

    /** Encrypts and decrypts poll results; null while the relay is off. */
    PayloadCipher cipher() {
        return cipher;
    }
}

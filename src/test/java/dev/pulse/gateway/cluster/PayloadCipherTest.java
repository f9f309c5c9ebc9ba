package dev.pulse.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;

import org.junit.jupiter.api.Test;

/** Poll results cross PostgreSQL encrypted: readable with the cluster's key only, and any change is detected. */
class PayloadCipherTest {

    private static final String SECRET = "a-cluster-secret-of-at-least-32-bytes-long";

    @Test
    void whatOneReplicaEncryptsAnotherWithTheSameSecretReadsAndNobodyElse() {
        PayloadCipher sender = new PayloadCipher(SECRET);
        String text = "{\"tenant\":\"t-1\",\"alerts\":[{\"summary\":\"door open\"}]}";

        String encrypted = sender.encrypt(text);

        assertThat(encrypted).doesNotContain("t-1").doesNotContain("door");
        assertThat(new PayloadCipher(SECRET).decrypt(encrypted)).isEqualTo(text);
        assertThat(sender.encrypt(text)).as("a fresh nonce each time").isNotEqualTo(encrypted);
        assertThat(new PayloadCipher(SECRET + "x").decrypt(encrypted)).isNull();
        byte[] bytes = Base64.getDecoder().decode(encrypted);
        bytes[bytes.length - 1] ^= 1;
        assertThat(sender.decrypt(Base64.getEncoder().encodeToString(bytes))).isNull();
        assertThat(sender.decrypt("not base64 at all")).isNull();
        assertThat(sender.decrypt("")).isNull();
    }
}

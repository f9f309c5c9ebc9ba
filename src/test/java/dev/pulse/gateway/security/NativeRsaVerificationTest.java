package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Security;
import java.security.Signature;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * NSS checks RSA signatures for public keys and nothing else: the JCA picks it for {@code initVerify} with an RSA
 * public key, and it accepts exactly the signatures the JDK accepts; signing still goes to the JDK. Handed back, the
 * JDK's code is in charge again; a folder without NSS is passed by. Needs NSS on the machine ({@code libnss3}, which the scripts
 * install): a test run without it fails here rather than measuring or shipping the slow path unnoticed.
 */
class NativeRsaVerificationTest {

    private static KeyPair issuer;
    private static KeyPair stranger;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        issuer = generator.generateKeyPair();
        stranger = generator.generateKeyPair();
    }

    @BeforeEach
    @AfterEach
    void nssFirst() {
        // NSS backs one provider per process, and the JVM is shared with @QuarkusTest classes: configured here or by
        // an application started earlier, it is (put back) first.
        assertThat(NativeRsaVerification.install(Optional.empty())).startsWith("NSS (");
        assertThat(NativeRsaVerification.active()).isTrue();
    }

    @Test
    void verificationWithAnRsaPublicKeyGoesToNssAndAgreesWithTheJdk() throws Exception {
        for (String algorithm : NativeRsaVerification.ALGORITHMS) {
            byte[] message = ("{\"sub\":\"device-7\",\"tenant_id\":\"acme\"} " + algorithm).getBytes(StandardCharsets.UTF_8);
            byte[] signature = sign(algorithm, issuer, message);
            byte[] altered = signature.clone();
            altered[17] ^= 0x01;
            byte[] otherMessage = message.clone();
            otherMessage[3] ^= 0x20;

            assertThat(verify(algorithm, issuer, message, signature)).as(algorithm).isTrue();
            assertThat(verify(algorithm, issuer, message, altered)).as(algorithm + ", signature altered").isFalse();
            assertThat(verify(algorithm, issuer, otherMessage, signature)).as(algorithm + ", message altered").isFalse();
            assertThat(verify(algorithm, stranger, message, signature)).as(algorithm + ", another key").isFalse();
            assertThat(verify(algorithm, issuer, message, new byte[12])).as(algorithm + ", too short").isFalse();

            Signature check = Signature.getInstance(algorithm);
            check.initVerify(issuer.getPublic());
            assertThat(check.getProvider().getName()).isEqualTo(NativeRsaVerification.PROVIDER_NAME);
        }
    }

    @Test
    void signingStaysWithTheJdk() throws Exception {
        Signature signer = Signature.getInstance("SHA256withRSA");
        signer.initSign(issuer.getPrivate());
        assertThat(signer.getProvider().getName()).isEqualTo("SunRsaSign");
        // And what NSS verifies, the JDK verifies too, the other way round.
        byte[] message = "both ways".getBytes(StandardCharsets.UTF_8);
        signer.update(message);
        byte[] signature = signer.sign();
        assertThat(jdkVerifies(message, signature)).isTrue();
        assertThat(verify("SHA256withRSA", issuer, message, signature)).isTrue();
    }

    @Test
    void handedBackTheJdkChecksSignaturesAgain() throws Exception {
        NativeRsaVerification.uninstall();
        assertThat(NativeRsaVerification.active()).isFalse();
        Signature check = Signature.getInstance("SHA256withRSA");
        check.initVerify(issuer.getPublic());
        assertThat(check.getProvider().getName()).isEqualTo("SunRsaSign");
        byte[] message = "still checked".getBytes(StandardCharsets.UTF_8);
        byte[] signature = sign("SHA256withRSA", issuer, message);
        assertThat(verify("SHA256withRSA", issuer, message, signature)).isTrue();
        assertThat(verify("SHA256withRSA", stranger, message, signature)).isFalse();
    }

    @Test
    void evenWithTheProviderFixedBeforeTheKeySigningIsTheJdksAndCorrect() throws Exception {
        Signature signer = Signature.getInstance("SHA256withRSA");
        // getProvider() before init fixes the provider: the first, Pulse's.
        assertThat(signer.getProvider().getName()).isEqualTo(NativeRsaVerification.PROVIDER_NAME);
        signer.initSign(issuer.getPrivate());
        byte[] message = "fixed early".getBytes(StandardCharsets.UTF_8);
        signer.update(message);
        byte[] signature = signer.sign();
        assertThat(jdkVerifies(message, signature)).isTrue();
        // The same signature as the JDK's: PKCS#1 v1.5 is deterministic.
        assertThat(signature).isEqualTo(sign("SHA256withRSA", issuer, message));
    }

    @Test
    void aFolderWithoutNssIsPassedBy() {
        assertThat(NativeRsaVerification.nssDirectory(List.of("/nonexistent/nss", "/proc"))).isEmpty();
        assertThat(NativeRsaVerification.nssDirectory(List.of("/nonexistent/nss", "/usr/lib/x86_64-linux-gnu",
                "/usr/lib64", "/usr/lib/aarch64-linux-gnu"))).isPresent();
    }

    @Test
    void anotherProviderFirstIsLeftAsConfigured() {
        assertThat(NativeRsaVerification.otherProviderFirst(new java.security.Provider[] {
                Security.getProvider("SunRsaSign")})).isEmpty();
        assertThat(NativeRsaVerification.otherProviderFirst(new java.security.Provider[] {
                new AcceptsAnything("BCFIPS"), Security.getProvider("SunRsaSign")}))
                .hasValueSatisfying(reason -> assertThat(reason).contains("BCFIPS").contains("left as configured"));
    }

    @Test
    void aProviderThatAcceptsAlteredSignaturesFailsTheSelfTest() throws Exception {
        assertThatThrownBy(() -> NativeRsaVerification.selfTest(new AcceptsAnything("Lenient")))
                .hasMessageContaining("accepted an altered signature or message");
        // And the real one passes it.
        NativeRsaVerification.selfTest(Security.getProvider(NativeRsaVerification.PROVIDER_NAME));
    }

    /** A provider whose SHA256withRSA says yes to everything: what the self-test is there to catch. */
    private static final class AcceptsAnything extends java.security.Provider {

        AcceptsAnything(String name) {
            super(name, "1.0", "accepts any signature");
            putService(new Service(this, "Signature", "SHA256withRSA", Yes.class.getName(), null, null) {
                @Override
                public Object newInstance(Object parameter) {
                    return new Yes();
                }
            });
        }
    }

    private static final class Yes extends java.security.SignatureSpi {
        @Override
        protected void engineInitVerify(java.security.PublicKey key) {
        }

        @Override
        protected void engineInitSign(java.security.PrivateKey key) {
        }

        @Override
        protected void engineUpdate(byte b) {
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) {
        }

        @Override
        protected byte[] engineSign() {
            return new byte[0];
        }

        @Override
        protected boolean engineVerify(byte[] sigBytes) {
            return true;
        }

        @Override
        @Deprecated
        protected void engineSetParameter(String param, Object value) {
        }

        @Override
        @Deprecated
        protected Object engineGetParameter(String param) {
            return null;
        }
    }

    /** The issuer's SHA256withRSA signature, checked by the JDK's own provider, whatever comes first. */
    private static boolean jdkVerifies(byte[] message, byte[] signature) throws Exception {
        Signature jdk = Signature.getInstance("SHA256withRSA", "SunRsaSign");
        jdk.initVerify(issuer.getPublic());
        jdk.update(message);
        return jdk.verify(signature);
    }

    private static byte[] sign(String algorithm, KeyPair keys, byte[] message) throws Exception {
        Signature signer = Signature.getInstance(algorithm, "SunRsaSign");
        signer.initSign(keys.getPrivate());
        signer.update(message);
        return signer.sign();
    }

    private static boolean verify(String algorithm, KeyPair keys, byte[] message, byte[] signature) throws Exception {
        Signature check = Signature.getInstance(algorithm);
        check.initVerify(keys.getPublic());
        check.update(message);
        try {
            return check.verify(signature);
        } catch (java.security.SignatureException e) {
            return false;
        }
    }
}

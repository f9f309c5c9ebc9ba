package dev.pulse.gateway.security;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.observability.GatewayMetrics;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ImageMode;
import io.quarkus.runtime.Startup;

/**
 * Has the system's NSS library check RSA token signatures (RS256, RS384, RS512) instead of the JDK's Java code.
 *
 * <p>Why: every client brings a token of its own, so a connect costs one RSA signature check. The JDK does it with
 * {@code BigInteger} arithmetic, which the C1-only JVM of the image compiles without C2's intrinsics: about 300 µs a
 * check, a fifth of a fresh replica's CPU while a fleet reconnects (src/docs/benchmarks.md). NSS does the same check
 * in about 50 µs. Nothing else about verification changes: the same parser (smallrye-jwt, jose4j) asks the JCA for a
 * {@code SHA256withRSA} {@link Signature} as before and gets one backed by NSS.
 *
 * <p>How: the JDK's SunPKCS11 provider is configured for NSS without a key database (keys are session objects),
 * checked against a known signature, and offered through {@link VerifyOnlyProvider}, placed first, which has nothing
 * but those three algorithms and takes only RSA public keys. What moves to NSS is therefore every such verification
 * in the process, not only tokens': TLS certificate chains and handshake signatures too (the JWKS fetch, PostgreSQL
 * or InfluxDB over TLS). Signing, other algorithms and other keys stay with the JDK's providers. Where NSS is
 * missing or fails its check, where another provider than the JDK's comes first (a FIPS set-up: Red Hat's
 * SunPKCS11-NSS-FIPS, BouncyCastle's BCFIPS), and in the native executable (which has no SunPKCS11), the JDK's code
 * does the checks as before and the reason is logged. {@code pulse_auth_native_rsa} says which is in use.
 *
 * <p>The JCA's provider list is the JVM's: the provider stays installed for the JVM's life, and an application
 * started later in the same JVM (tests do that) moves it back to the front rather than configuring NSS again, whatever
 * folder it names (NSS can be initialised once per process).
 */
@Startup
@Singleton
public class NativeRsaVerification {

    private static final Logger LOG = Logger.getLogger(NativeRsaVerification.class);

    /** The name of {@link VerifyOnlyProvider}: one instance per JVM, whatever number of applications start in it. */
    static final String PROVIDER_NAME = "PulseNssRsaVerify";

    static final List<String> ALGORITHMS = List.of("SHA256withRSA", "SHA384withRSA", "SHA512withRSA");

    /** Where distributions put {@code libnss3.so}: Red Hat (the JVM image) and Fedora, Debian and Ubuntu, others. */
    static final List<String> NSS_DIRECTORIES = List.of("/usr/lib64", "/usr/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu", "/usr/lib");

    /**
     * The self-test: a 2048-bit RSA public key (X.509, exponent 65537), a message and its SHA256withRSA signature,
     * made with OpenSSL. NSS must accept the signature and refuse it for an altered message or with a bit changed.
     */
    private static final String TEST_KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlxVPhq37cFhHs4D/z6vhWd0UVkHUL8eRyhsN"
            + "heFYhOnhbmMdyY9QzJjvnKPitT7T8/sESlpxTSSr1zgjF6dQ7LVfil8oqlCD02Jef/1pB9RmAKs7c86IHnsu83ln/smkzvnYm7me"
            + "ghrnu9ycZqKc3ABy/Ez68Q0+m7dAG3gFK6cUIZAOOsNF1WaNpvylZkBYcI3IouIYcuhF68kGwuWXvgW1wSReaoB8mlqopMKgaIt+"
            + "kbk7dB7Ptuw5p7hXTfzUu2XxjZJaDs8bYkPMNUFIkyyxOZiTERabKjwAhIG1GhSKLfnUM58ZsobRez/fvysIhMQT5btsn6Gbr/m3"
            + "ucFwiQIDAQAB";
    private static final String TEST_MESSAGE = "Pulse: RSA signature check self-test";
    private static final String TEST_SIGNATURE = "itW5a1iFGt5i65Pv4hNvWsI0Q6bhuY+5aZwtSwp08AJjmqFEKGUl44TvQQ5IBJQBPtv3kx"
            + "/43KlUEXMJrjvT1m/nOF57mRx3AdT3Xnls9oA9P1p0a4QLOLr/58n4GquFc/72okRpXsAzM6HFMacpAS64ABjm/tOoabonpwsq5H"
            + "6mh6CEFMl01g4OGKR8ORYzfp7egbVcf/MM5C7sM0/sY1VzAj95SsMbdH5lEKFBZ34UATPOU5Y2g1rffNhQ5mA7fercEao6PUo32B"
            + "0Pr3PmGxwxZblUNQSgKtbeAKx9hag7nxiVZcvB4HmaGcUZ8Y6oDXxezGALWPraP2iWDs8BaA==";

    public NativeRsaVerification(PulseConfig config, GatewayMetrics metrics) {
        String outcome;
        if (!config.auth().nativeRsa()) {
            uninstall();
            outcome = "the JDK's code (pulse.auth.native-rsa=false)";
        } else {
            outcome = install(config.auth().nssLibraryDirectory());
        }
        boolean nss = active();
        metrics.gauge("pulse.auth.native.rsa", "1 when RSA token signatures are checked by NSS (native code), 0 when by"
                + " the JDK's Java code", Tags.empty(), () -> nss ? 1 : 0, null);
        LOG.infof("RSA token signatures are checked by %s", outcome);
    }

    /** Whether NSS checks RSA signatures in this JVM. */
    public static boolean active() {
        Provider[] first = Security.getProviders("Signature.SHA256withRSA");
        return first != null && first.length > 0 && PROVIDER_NAME.equals(first[0].getName());
    }

    /**
     * Puts NSS first for RSA signature checks, configuring it on first use; what checks them afterwards, for the log.
     * NSS backs one SunPKCS11 provider per process, so a provider configured earlier in this JVM (by an application
     * started before, in tests by another class loader's copy of this class) is found among the JCA's providers and
     * moved back to the front, not configured again.
     */
    static synchronized String install(Optional<String> configuredDirectory) {
        if (ImageMode.current().isNativeImage()) {
            return "the JDK's code (the native executable has no SunPKCS11 provider)";
        }
        Provider earlier = Security.getProvider(PROVIDER_NAME);
        if (earlier != null) {
            Security.removeProvider(PROVIDER_NAME);
            Security.insertProviderAt(earlier, 1);
            return "NSS (configured earlier in this JVM)";
        }
        Optional<String> notTheJdk = otherProviderFirst(Security.getProviders("Signature.SHA256withRSA"));
        if (notTheJdk.isPresent()) {
            return notTheJdk.get();
        }
        Optional<String> directory = configuredDirectory.or(() -> nssDirectory(NSS_DIRECTORIES));
        if (directory.isEmpty()) {
            return "the JDK's code: no libnss3.so in " + String.join(", ", NSS_DIRECTORIES)
                    + " (install NSS, e.g. Debian's libnss3, or set pulse.auth.nss-library-directory)";
        }
        try {
            Provider nss = nssProvider(directory.get());
            selfTest(nss);
            Security.insertProviderAt(new VerifyOnlyProvider(nss), 1);
            selfTest(null);
            return "NSS (" + nss.getName() + ", from " + directory.get() + ")";
        } catch (Exception | LinkageError e) {
            Security.removeProvider(PROVIDER_NAME);
            // NSS was found: that it cannot be used (or, worse, failed the self-test) is for an operator to see.
            String reason = "the JDK's code: NSS from " + directory.get() + " failed (" + e + ")";
            LOG.warn(reason);
            return reason;
        }
    }

    /**
     * Why the JDK's code is kept when the provider that {@code SHA256withRSA} comes from first is not the JDK's own
     * (SunRsaSign): a FIPS set-up (Red Hat's SunPKCS11-NSS-FIPS, BouncyCastle's BCFIPS) or an operator's choice, which
     * putting NSS in front would silently overrule. Empty when the JDK's provider comes first.
     */
    static Optional<String> otherProviderFirst(Provider[] forSha256WithRsa) {
        if (forSha256WithRsa == null || forSha256WithRsa.length == 0
                || "SunRsaSign".equals(forSha256WithRsa[0].getName())) {
            return Optional.empty();
        }
        return Optional.of("the provider this JVM puts first, " + forSha256WithRsa[0].getName()
                + " (a FIPS set-up or an operator's choice), left as configured");
    }

    /**
     * Hands RSA signature checks back to the JDK: NSS's provider goes last among the JCA's providers, behind the
     * JDK's, where it is never chosen (the JDK's providers have all its algorithms) but can be brought back.
     */
    static synchronized void uninstall() {
        Provider installed = Security.getProvider(PROVIDER_NAME);
        if (installed != null) {
            Security.removeProvider(PROVIDER_NAME);
            Security.addProvider(installed);
        }
    }

    /** The first of {@code candidates} that has NSS's {@code libnss3.so}. */
    static Optional<String> nssDirectory(List<String> candidates) {
        return candidates.stream().filter(candidate -> Files.isReadable(Path.of(candidate, "libnss3.so"))).findFirst();
    }

    /** SunPKCS11 configured for NSS without a key database: keys are imported as session objects, nothing is stored. */
    static Provider nssProvider(String directory) {
        Provider sunPkcs11 = Security.getProvider("SunPKCS11");
        if (sunPkcs11 == null) {
            throw new IllegalStateException("this JVM has no SunPKCS11 provider (module jdk.crypto.cryptoki)");
        }
        return sunPkcs11.configure("--name=NSS-Pulse\n"
                + "nssLibraryDirectory=" + directory + "\n"
                + "nssDbMode=noDb\n"
                + "attributes=compatibility\n");
    }

    /**
     * The known signature verifies, and neither an altered message nor an altered signature does; with
     * {@code provider} null, through the JCA's choice, which must then be {@link VerifyOnlyProvider}.
     */
    static void selfTest(Provider provider) throws Exception {
        PublicKey key = KeyFactory.getInstance("RSA")
                .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(TEST_KEY)));
        byte[] message = TEST_MESSAGE.getBytes(StandardCharsets.US_ASCII);
        byte[] signature = Base64.getDecoder().decode(TEST_SIGNATURE);
        byte[] altered = signature.clone();
        altered[altered.length / 2] ^= 0x10;
        byte[] otherMessage = (TEST_MESSAGE + ".").getBytes(StandardCharsets.US_ASCII);
        if (!verifies(provider, key, message, signature)) {
            throw new IllegalStateException("refused the self-test's valid signature");
        }
        if (verifies(provider, key, otherMessage, signature) || verifies(provider, key, message, altered)) {
            throw new IllegalStateException("accepted an altered signature or message");
        }
    }

    private static boolean verifies(Provider provider, PublicKey key, byte[] message, byte[] signature)
            throws Exception {
        Signature check = provider == null ? Signature.getInstance("SHA256withRSA")
                : Signature.getInstance("SHA256withRSA", provider);
        check.initVerify(key);
        if (provider == null && !PROVIDER_NAME.equals(check.getProvider().getName())) {
            throw new IllegalStateException("the JCA chose " + check.getProvider().getName() + " for an RSA public key");
        }
        check.update(message);
        try {
            return check.verify(signature);
        } catch (SignatureException e) {
            return false;
        }
    }

    /**
     * A provider with the three RSA signature algorithms for RSA public keys only: what {@link Signature#initVerify}
     * with such a key asks for. For a private key (signing) the JCA's delayed provider selection passes it by, on to
     * the JDK's own providers; and should a caller fix the provider before it chooses a key ({@code getProvider()}
     * first), {@link VerifyWithNss} still signs with the JDK's code.
     */
    static final class VerifyOnlyProvider extends Provider {

        VerifyOnlyProvider(Provider nss) {
            super(PROVIDER_NAME, "1.0", "RSA signature verification by NSS, for RSA public keys only");
            for (String algorithm : ALGORITHMS) {
                if (nss.getService("Signature", algorithm) != null) {
                    putService(new VerifyOnlyService(this, algorithm, nss));
                }
            }
        }
    }

    private static final class VerifyOnlyService extends Provider.Service {

        private final String algorithm;
        private final Provider nss;

        VerifyOnlyService(Provider provider, String algorithm, Provider nss) {
            super(provider, "Signature", algorithm, VerifyWithNss.class.getName(), null,
                    Map.of("SupportedKeyClasses", RSAPublicKey.class.getName()));
            this.algorithm = algorithm;
            this.nss = nss;
        }

        @Override
        public boolean supportsParameter(Object key) {
            return key instanceof RSAPublicKey;
        }

        /** Created here, not by reflection on the class name (nothing to register for the native executable). */
        @Override
        public Object newInstance(Object constructorParameter) {
            return new VerifyWithNss(algorithm, nss);
        }
    }

    /**
     * Verifies with NSS's implementation for an RSA public key, and does anything else (signing, another kind of
     * key) with the JDK's SunRsaSign. RSA PKCS#1 v1.5 signatures take no parameters.
     */
    static final class VerifyWithNss extends SignatureSpi {

        private final String algorithm;
        private final Provider nss;
        private Signature delegate;

        VerifyWithNss(String algorithm, Provider nss) {
            this.algorithm = algorithm;
            this.nss = nss;
        }

        @Override
        protected void engineInitVerify(PublicKey key) throws InvalidKeyException {
            delegate = key instanceof RSAPublicKey ? instance(nss) : jdk();
            delegate.initVerify(key);
        }

        @Override
        protected void engineInitSign(PrivateKey key) throws InvalidKeyException {
            delegate = jdk();
            delegate.initSign(key);
        }

        @Override
        protected void engineInitSign(PrivateKey key, SecureRandom random) throws InvalidKeyException {
            delegate = jdk();
            delegate.initSign(key, random);
        }

        @Override
        protected void engineUpdate(byte b) throws SignatureException {
            initialized().update(b);
        }

        @Override
        protected void engineUpdate(byte[] bytes, int offset, int length) throws SignatureException {
            initialized().update(bytes, offset, length);
        }

        @Override
        protected byte[] engineSign() throws SignatureException {
            return initialized().sign();
        }

        @Override
        protected boolean engineVerify(byte[] signature) throws SignatureException {
            return initialized().verify(signature);
        }

        @Override
        protected void engineSetParameter(AlgorithmParameterSpec params) throws InvalidAlgorithmParameterException {
            if (params != null) {
                throw new InvalidAlgorithmParameterException(algorithm + " takes no parameters");
            }
        }

        @Override
        protected AlgorithmParameters engineGetParameters() {
            return null;
        }

        @Override
        @Deprecated
        protected void engineSetParameter(String param, Object value) {
            throw new InvalidParameterException(algorithm + " takes no parameters");
        }

        @Override
        @Deprecated
        protected Object engineGetParameter(String param) {
            throw new InvalidParameterException(algorithm + " takes no parameters");
        }

        private Signature initialized() throws SignatureException {
            if (delegate == null) {
                throw new SignatureException("not initialised");
            }
            return delegate;
        }

        private Signature jdk() throws InvalidKeyException {
            Provider sunRsaSign = Security.getProvider("SunRsaSign");
            if (sunRsaSign == null) {
                throw new InvalidKeyException("the JDK's SunRsaSign provider is not installed");
            }
            return instance(sunRsaSign);
        }

        private Signature instance(Provider provider) throws InvalidKeyException {
            try {
                return Signature.getInstance(algorithm, provider);
            } catch (NoSuchAlgorithmException e) {
                throw new InvalidKeyException(algorithm + " is not available from " + provider.getName(), e);
            }
        }
    }
}

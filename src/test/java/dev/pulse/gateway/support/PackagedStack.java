package dev.pulse.gateway.support;

import java.util.HashMap;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * For {@code @QuarkusIntegrationTest}s: starts the test stack and configures the packaged application (JVM jar or
 * native executable, run in the prod profile as an operator runs it) for it: the stack's addresses and credentials,
 * and the test key and issuer for JWT verification. Quarkus passes the returned properties to the launched process.
 */
public class PackagedStack implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        LocalStack.ensureUp();
        Map<String, String> properties = new HashMap<>();
        LocalStack.environment("test").forEach((name, value) -> {
            if (!name.startsWith("PULSE_STACK_")) {
                properties.put(name.toLowerCase().replace('_', '.'), value);
            }
        });
        properties.put("mp.jwt.verify.publickey.location",
                "file:" + LocalStack.projectRoot().resolve("src/test/resources/test-keys/public.pem"));
        properties.put("mp.jwt.verify.issuer", Tokens.ISSUER);
        properties.put("mp.jwt.verify.audiences", Tokens.AUDIENCE);
        properties.put("pulse.cluster.secret", PackagedPulse.CLUSTER_SECRET);
        properties.put("quarkus.management.port", Integer.toString(Management.DEFAULT_TEST_PORT));
        // As in the test profile, so pushes follow changes within a second.
        properties.put("pulse.telemetry.poll-interval", "1s");
        properties.put("pulse.alerts.poll-interval", "1s");
        // Readiness at once, and no warm-up connections in the figures the tests read (WarmUpIT covers the warm-up).
        properties.put("pulse.warm-up.connections", "0");
        return properties;
    }

    @Override
    public void stop() {
        // The servers outlive the run, as with LocalStack.
    }
}

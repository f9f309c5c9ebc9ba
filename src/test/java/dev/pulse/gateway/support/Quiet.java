package dev.pulse.gateway.support;

import static org.awaitility.Awaitility.await;

import java.time.Duration;

import dev.pulse.gateway.registry.ConnectionRegistry;

/** For tests that count connections or subscriptions: start once the previous test's connections are gone. */
public final class Quiet {

    private Quiet() {
    }

    public static void awaitEmpty(ConnectionRegistry registry) {
        await().atMost(Duration.ofSeconds(15)).until(() -> registry.connectionCount() == 0
                && registry.tenantCount() == 0);
    }
}

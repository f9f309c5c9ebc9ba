package dev.pulse.gateway.support;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;

import dev.pulse.gateway.registry.ConnectionRegistry;

/**
 * The one place for "start once the previous test's connections are gone": @QuarkusTest classes that count
 * connections, subscriptions or rooms extend this and find the registry in {@link #registry}.
 */
public abstract class QuietRegistryTest {

    @Inject
    protected ConnectionRegistry registry;

    @BeforeEach
    void awaitQuietRegistry() {
        Quiet.awaitEmpty(registry);
    }
}

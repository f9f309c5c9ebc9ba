package dev.pulse.gateway.registry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Singleton;

import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.session.TenantCounters;

/**
 * The registry's shared state: every open connection by id, each tenant's index (its connections and what they
 * watch), and each tenant's lifetime counters. {@link ConnectionRegistry} adds and removes connections,
 * {@link Watchers} keeps the subscriptions, {@link RegistryStatistics} reads the figures.
 */
@Singleton
public class TenantIndexes {

    final Map<String, GatewaySession> sessions = new ConcurrentHashMap<>();
    final Map<String, TenantIndex> tenants = new ConcurrentHashMap<>();
    final Map<String, TenantCounters> counters = new ConcurrentHashMap<>();
}

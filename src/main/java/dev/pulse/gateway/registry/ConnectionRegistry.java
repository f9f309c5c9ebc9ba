package dev.pulse.gateway.registry;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import dev.pulse.gateway.security.GatewayPrincipal;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;

/**
 * Who is connected and what each tenant watches. Lookups go by tenant and device (or tenant for alerts), so the cost
 * of a poll or a fan-out grows with its targets, never with the number of connections.
 *
 * <p>All changes to one tenant's index happen inside {@code tenants.compute}, which serializes them per tenant and lets
 * an index that no longer watches anything disappear atomically.
 */
@ApplicationScoped
public class ConnectionRegistry {

    private static final UserData.TypedKey<GatewaySession> SESSION = new UserData.TypedKey<>("pulse.session");

    private final Map<String, GatewaySession> sessions = new ConcurrentHashMap<>();
    private final Map<String, TenantIndex> tenants = new ConcurrentHashMap<>();
    private final Clock clock;

    public ConnectionRegistry() {
        this(Clock.systemUTC());
    }

    ConnectionRegistry(Clock clock) {
        this.clock = clock;
    }

    /**
     * Registers an authenticated connection. The session id is {@code requestedId} when given and not in use,
     * otherwise the connection's own id.
     */
    public GatewaySession register(WebSocketConnection connection, GatewayPrincipal principal, String endpoint,
            Optional<String> requestedId) {
        if (requestedId.isPresent()) {
            GatewaySession session = new GatewaySession(requestedId.get(), connection, principal, endpoint,
                    clock.instant());
            if (sessions.putIfAbsent(session.id(), session) == null) {
                connection.userData().put(SESSION, session);
                return session;
            }
        }
        GatewaySession session = new GatewaySession(connection.id(), connection, principal, endpoint, clock.instant());
        sessions.put(session.id(), session);
        connection.userData().put(SESSION, session);
        return session;
    }

    /** The session of a connection, or empty for a connection that was never registered (rejected or closing). */
    public Optional<GatewaySession> session(WebSocketConnection connection) {
        return Optional.ofNullable(connection.userData().get(SESSION));
    }

    /** Removes a connection and every subscription it holds. Safe to call more than once. */
    public void unregister(GatewaySession session) {
        session.markClosed();
        for (String device : List.copyOf(session.deviceSet())) {
            unsubscribeDevice(session, device);
        }
        unsubscribeAlerts(session);
        sessions.remove(session.id(), session);
        session.connection().userData().remove(SESSION);
    }

    /**
     * Adds a device subscription. Returns the device's watch (shared by all of the tenant's subscribers of that
     * device); a repeated subscribe changes nothing and returns the same watch. Returns null for a closed session.
     */
    public DeviceWatch subscribeDevice(GatewaySession session, String deviceId) {
        DeviceWatch[] watch = new DeviceWatch[1];
        tenants.compute(session.tenant(), (tenant, index) -> {
            if (session.isClosed()) {
                return index;
            }
            TenantIndex target = index != null ? index : new TenantIndex(tenant);
            watch[0] = target.devices.computeIfAbsent(deviceId, id -> new DeviceWatch(tenant, id));
            watch[0].add(session);
            session.deviceSet().add(deviceId);
            return target;
        });
        return watch[0];
    }

    /** Removes a device subscription; returns false when there was none. */
    public boolean unsubscribeDevice(GatewaySession session, String deviceId) {
        boolean[] removed = new boolean[1];
        tenants.computeIfPresent(session.tenant(), (tenant, index) -> {
            DeviceWatch watch = index.devices.get(deviceId);
            if (watch != null) {
                removed[0] = watch.remove(session);
                if (watch.isEmpty()) {
                    index.devices.remove(deviceId);
                }
            }
            session.deviceSet().remove(deviceId);
            return index.isEmpty() ? null : index;
        });
        return removed[0];
    }

    /** Adds the alert subscription; returns the tenant's feed (null for a closed session). Repeating it changes nothing. */
    public AlertFeed subscribeAlerts(GatewaySession session) {
        AlertFeed[] feed = new AlertFeed[1];
        tenants.compute(session.tenant(), (tenant, index) -> {
            if (session.isClosed()) {
                return index;
            }
            TenantIndex target = index != null ? index : new TenantIndex(tenant);
            if (target.alerts == null) {
                target.alerts = new AlertFeed(tenant);
            }
            feed[0] = target.alerts;
            feed[0].add(session);
            session.alerts(true);
            return target;
        });
        return feed[0];
    }

    /** Removes the alert subscription; returns false when there was none. */
    public boolean unsubscribeAlerts(GatewaySession session) {
        boolean[] removed = new boolean[1];
        tenants.computeIfPresent(session.tenant(), (tenant, index) -> {
            AlertFeed feed = index.alerts;
            if (feed != null) {
                removed[0] = feed.remove(session);
                if (feed.isEmpty()) {
                    index.alerts = null;
                }
            }
            session.alerts(false);
            return index.isEmpty() ? null : index;
        });
        return removed[0];
    }

    /** Every watched device, grouped by tenant: what the telemetry poller reads. */
    public Map<String, Collection<DeviceWatch>> deviceWatchesByTenant() {
        Map<String, Collection<DeviceWatch>> result = new HashMap<>();
        for (TenantIndex index : tenants.values()) {
            if (!index.devices.isEmpty()) {
                result.put(index.tenant, new ArrayList<>(index.deviceWatches()));
            }
        }
        return result;
    }

    /** The watch of one device of one tenant, if anyone watches it. */
    public Optional<DeviceWatch> deviceWatch(String tenant, String deviceId) {
        TenantIndex index = tenants.get(tenant);
        return index == null ? Optional.empty() : Optional.ofNullable(index.devices.get(deviceId));
    }

    /** Every tenant's alert feed that has subscribers: what the alert poller reads. */
    public List<AlertFeed> alertFeeds() {
        List<AlertFeed> feeds = new ArrayList<>();
        for (TenantIndex index : tenants.values()) {
            AlertFeed feed = index.alerts;
            if (feed != null) {
                feeds.add(feed);
            }
        }
        return feeds;
    }

    /** Whether a connection with this id is registered. */
    public boolean hasSession(String id) {
        return sessions.containsKey(id);
    }

    public int connectionCount() {
        return sessions.size();
    }

    /** Tenants that watch anything; zero when nobody is connected. */
    public int watchingTenantCount() {
        return tenants.size();
    }

    /** Device subscriptions over all connections (a connection watching three devices counts three). */
    public int deviceSubscriptionCount() {
        int count = 0;
        for (TenantIndex index : tenants.values()) {
            for (DeviceWatch watch : index.deviceWatches()) {
                count += watch.subscriberCount();
            }
        }
        return count;
    }

    public int alertSubscriptionCount() {
        int count = 0;
        for (TenantIndex index : tenants.values()) {
            AlertFeed feed = index.alerts;
            if (feed != null) {
                count += feed.subscriberCount();
            }
        }
        return count;
    }
}

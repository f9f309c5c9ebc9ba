package dev.pulse.gateway.registry;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import dev.pulse.gateway.security.GatewayPrincipal;
import io.quarkus.websockets.next.WebSocketConnection;
import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.session.TenantCounters;

/**
 * Who is connected and what each tenant watches. Lookups go by tenant, then device, room or alert feed, so the cost
 * of a poll or a fan-out grows with its targets, never with the number of connections.
 *
 * <p>All changes to one tenant's index happen inside {@code tenants.compute}, which serializes them per tenant and lets
 * an index disappear atomically with the tenant's last connection.
 */
@ApplicationScoped
public class ConnectionRegistry {


    private final Map<String, GatewaySession> sessions = new ConcurrentHashMap<>();
    private final Map<String, TenantIndex> tenants = new ConcurrentHashMap<>();
    private final Map<String, TenantCounters> counters = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> openByEndpoint = new ConcurrentHashMap<>();
    /** Open connections per tenant and subject, for pulse.limits.connections-per-subject. */
    private final Map<String, AtomicInteger> openBySubject = new ConcurrentHashMap<>();
    private final Clock clock;

    public ConnectionRegistry() {
        this(Clock.systemUTC());
    }

    ConnectionRegistry(Clock clock) {
        this.clock = clock;
    }

    /** Why a connection was not registered. */
    public enum Refusal {
        TENANT_LIMIT,
        SUBJECT_LIMIT
    }

    /** A connection refused by a connection limit. */
    public static final class LimitReached extends Exception {
        private final Refusal refusal;

        LimitReached(Refusal refusal) {
            super(refusal.name(), null, false, false);
            this.refusal = refusal;
        }

        public Refusal refusal() {
            return refusal;
        }
    }

    /** {@link #register(WebSocketConnection, GatewayPrincipal, String, Optional, int, int)} without limits. */
    public GatewaySession register(WebSocketConnection connection, GatewayPrincipal principal, String endpoint,
            Optional<String> requestedId) {
        try {
            return register(connection, principal, endpoint, requestedId, 0, 0);
        } catch (LimitReached impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /**
     * Registers an authenticated connection. The session id is {@code requestedId} when given and not in use,
     * otherwise the connection's own id. The tenant and subject limits (0: none) are checked and taken atomically.
     */
    public GatewaySession register(WebSocketConnection connection, GatewayPrincipal principal, String endpoint,
            Optional<String> requestedId, int maxPerTenant, int maxPerSubject) throws LimitReached {
        String subjectKey = principal.tenant() + '\u0000' + principal.subject();
        int[] subjectOpen = new int[1];
        openBySubject.compute(subjectKey, (key, open) -> {
            AtomicInteger counter = open != null ? open : new AtomicInteger();
            subjectOpen[0] = counter.incrementAndGet();
            return counter;
        });
        if (maxPerSubject > 0 && subjectOpen[0] > maxPerSubject) {
            releaseSubject(subjectKey);
            throw new LimitReached(Refusal.SUBJECT_LIMIT);
        }
        boolean[] tenantFull = new boolean[1];
        tenants.compute(principal.tenant(), (tenant, index) -> {
            TenantIndex target = index != null ? index : new TenantIndex(tenant);
            tenantFull[0] = maxPerTenant > 0 && target.sessions.size() + target.reserved >= maxPerTenant;
            if (!tenantFull[0]) {
                target.reserved++;
            }
            return target.isEmpty() ? null : target;
        });
        if (tenantFull[0]) {
            releaseSubject(subjectKey);
            throw new LimitReached(Refusal.TENANT_LIMIT);
        }
        TenantCounters tenantCounters = counters.computeIfAbsent(principal.tenant(), t -> new TenantCounters());
        GatewaySession session = null;
        if (requestedId.isPresent()) {
            GatewaySession candidate = new GatewaySession(requestedId.get(), connection, principal, endpoint,
                    clock.instant(), tenantCounters);
            if (sessions.putIfAbsent(candidate.id(), candidate) == null) {
                session = candidate;
            }
        }
        if (session == null) {
            session = new GatewaySession(connection.id(), connection, principal, endpoint, clock.instant(),
                    tenantCounters);
            sessions.put(session.id(), session);
        }
        GatewaySession registered = session;
        tenants.compute(principal.tenant(), (tenant, index) -> {
            TenantIndex target = index != null ? index : new TenantIndex(tenant);
            target.sessions.add(registered);
            target.reserved--;
            return target;
        });
        tenantCounters.connected();
        openByEndpoint.computeIfAbsent(endpoint, e -> new AtomicInteger()).incrementAndGet();
        session.attach();
        return session;
    }

    /** The session of a connection, or empty for a connection that was never registered (rejected or closing). */
    public Optional<GatewaySession> session(WebSocketConnection connection) {
        return GatewaySession.of(connection);
    }

    /** Removes a connection and everything it holds. Safe to call more than once. */
    public void unregister(GatewaySession session) {
        if (session.isClosed()) {
            return;
        }
        session.markClosed();
        for (String device : List.copyOf(session.deviceSet())) {
            unsubscribeDevice(session, device);
        }
        unsubscribeAlerts(session);
        tenants.computeIfPresent(session.tenant(), (tenant, index) -> {
            for (String room : session.roomSet()) {
                leave(index, room, session);
            }
            session.roomSet().clear();
            index.sessions.remove(session);
            index.presenceListeners.remove(session);
            return index.isEmpty() ? null : index;
        });
        sessions.remove(session.id(), session);
        session.detach();
        counters.get(session.tenant()).disconnected();
        openByEndpoint.get(session.endpoint()).decrementAndGet();
        releaseSubject(session.tenant() + '\u0000' + session.principal().subject());
    }

    private void releaseSubject(String subjectKey) {
        openBySubject.computeIfPresent(subjectKey, (key, open) -> open.decrementAndGet() <= 0 ? null : open);
    }

    /** Connections with at least one device subscription (a snapshot; scans the tenants' watches). */
    public Set<GatewaySession> deviceSubscribers() {
        Set<GatewaySession> subscribers = new java.util.HashSet<>();
        for (TenantIndex index : tenants.values()) {
            for (DeviceWatch watch : index.deviceWatches()) {
                subscribers.addAll(watch.subscribers());
            }
        }
        return subscribers;
    }

    /** Connections subscribed to alerts (a snapshot). */
    public Set<GatewaySession> alertSubscribers() {
        Set<GatewaySession> subscribers = new java.util.HashSet<>();
        for (AlertFeed feed : alertFeeds()) {
            subscribers.addAll(feed.subscribers());
        }
        return subscribers;
    }

    /** Every open connection (a snapshot): for the keepalive sweep and shutdown, not for per-message paths. */
    public List<GatewaySession> allSessions() {
        return List.copyOf(sessions.values());
    }

    /**
     * Adds a device subscription. Returns the device's watch (shared by all of the tenant's subscribers of that
     * device); a repeated subscribe changes nothing and returns the same watch. Returns null for a closed session.
     */
    public DeviceWatch subscribeDevice(GatewaySession session, String deviceId) {
        DeviceWatch[] watch = new DeviceWatch[1];
        tenants.computeIfPresent(session.tenant(), (tenant, index) -> {
            if (!session.isClosed()) {
                watch[0] = index.devices.computeIfAbsent(deviceId, id -> new DeviceWatch(tenant, id));
                watch[0].add(session);
                session.deviceSet().add(deviceId);
            }
            return index;
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

    /** Adds the alert subscription; returns the tenant's feed (null for a closed session). Repeating it is harmless. */
    public AlertFeed subscribeAlerts(GatewaySession session) {
        AlertFeed[] feed = new AlertFeed[1];
        tenants.computeIfPresent(session.tenant(), (tenant, index) -> {
            if (!session.isClosed()) {
                if (index.alerts == null) {
                    index.alerts = new AlertFeed(tenant);
                }
                feed[0] = index.alerts;
                feed[0].add(session);
                session.alerts(true);
            }
            return index;
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

    /** Puts the connection in a room of its tenant; returns the room's member count (0 for a closed session). */
    public int joinRoom(GatewaySession session, String room) {
        int[] memberCount = new int[1];
        tenants.computeIfPresent(session.tenant(), (tenant, index) -> {
            if (!session.isClosed()) {
                Set<GatewaySession> members = index.rooms.computeIfAbsent(room, r -> ConcurrentHashMap.newKeySet());
                members.add(session);
                session.roomSet().add(room);
                memberCount[0] = members.size();
            }
            return index;
        });
        return memberCount[0];
    }

    /** Takes the connection out of a room; returns false when it was not in it. */
    public boolean leaveRoom(GatewaySession session, String room) {
        boolean[] left = new boolean[1];
        tenants.computeIfPresent(session.tenant(), (tenant, index) -> {
            left[0] = leave(index, room, session);
            session.roomSet().remove(room);
            return index.isEmpty() ? null : index;
        });
        return left[0];
    }

    private static boolean leave(TenantIndex index, String room, GatewaySession session) {
        Set<GatewaySession> members = index.rooms.get(room);
        if (members == null || !members.remove(session)) {
            return false;
        }
        if (members.isEmpty()) {
            index.rooms.remove(room);
        }
        return true;
    }

    /** The members of one of a tenant's rooms (a snapshot); empty when the room does not exist. */
    public Collection<GatewaySession> roomMembers(String tenant, String room) {
        TenantIndex index = tenants.get(tenant);
        Set<GatewaySession> members = index == null ? null : index.rooms.get(room);
        return members == null ? List.of() : List.copyOf(members);
    }

    /** Records whether the connection's event filter asks for presence events (member_joined, member_left). */
    public void presenceListener(GatewaySession session, boolean listening) {
        tenants.computeIfPresent(session.tenant(), (tenant, index) -> {
            if (listening && !session.isClosed()) {
                index.presenceListeners.add(session);
            } else {
                index.presenceListeners.remove(session);
            }
            return index;
        });
    }

    /** The tenant's connections that asked for presence events (a snapshot; usually few or none). */
    public Collection<GatewaySession> presenceListeners(String tenant) {
        TenantIndex index = tenants.get(tenant);
        return index == null || index.presenceListeners.isEmpty() ? List.of() : List.copyOf(index.presenceListeners);
    }

    /** Every connection of a tenant (a snapshot). */
    public Collection<GatewaySession> tenantSessions(String tenant) {
        TenantIndex index = tenants.get(tenant);
        return index == null ? List.of() : List.copyOf(index.sessions);
    }

    /** Tenants with at least one connection. */
    public Set<String> connectedTenants() {
        return Set.copyOf(tenants.keySet());
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

    /** The tenant's alert feed, if the tenant has alert subscribers on this replica. */
    public Optional<AlertFeed> alertFeed(String tenant) {
        TenantIndex index = tenants.get(tenant);
        return index == null ? Optional.empty() : Optional.ofNullable(index.alerts);
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

    /** Statistics of one tenant; zeros for a tenant never seen. */
    public TenantStats stats(String tenant) {
        TenantIndex index = tenants.get(tenant);
        TenantCounters tenantCounters = counters.getOrDefault(tenant, new TenantCounters());
        Map<String, Integer> rooms = new TreeMap<>();
        if (index != null) {
            index.rooms.forEach((room, members) -> rooms.put(room, members.size()));
        }
        return new TenantStats(tenant, index == null ? 0 : index.sessions.size(),
                tenantCounters.connections(), tenantCounters.disconnections(),
                tenantCounters.messagesSent(), tenantCounters.messagesReceived(), rooms);
    }

    /** Statistics of every tenant seen since start, by tenant. */
    public Map<String, TenantStats> allStats() {
        Map<String, TenantStats> all = new TreeMap<>();
        for (String tenant : counters.keySet()) {
            all.put(tenant, stats(tenant));
        }
        return all;
    }

    /** Whether a connection with this id is registered. */
    public boolean hasSession(String id) {
        return sessions.containsKey(id);
    }

    public int connectionCount() {
        return sessions.size();
    }

    /** Connections open on one endpoint. */
    public int connectionCount(String endpoint) {
        AtomicInteger open = openByEndpoint.get(endpoint);
        return open == null ? 0 : open.get();
    }

    /** Tenants with at least one connection; zero when nobody is connected. */
    public int tenantCount() {
        return tenants.size();
    }

    /** Rooms with at least one member, over all tenants. */
    public int roomCount() {
        int count = 0;
        for (TenantIndex index : tenants.values()) {
            count += index.rooms.size();
        }
        return count;
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

    /** Room memberships over all connections. */
    public int roomMembershipCount() {
        int count = 0;
        for (TenantIndex index : tenants.values()) {
            for (Set<GatewaySession> members : index.rooms.values()) {
                count += members.size();
            }
        }
        return count;
    }

    /** Connections with an event-type filter. Scans every connection: for metric scrapes, not for hot paths. */
    public int eventFilterCount() {
        int count = 0;
        for (GatewaySession session : sessions.values()) {
            if (!session.eventTypes().isEmpty()) {
                count++;
            }
        }
        return count;
    }
}

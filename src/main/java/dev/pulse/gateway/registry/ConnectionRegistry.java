package dev.pulse.gateway.registry;

import java.time.Clock;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import dev.pulse.gateway.security.GatewayPrincipal;
import io.quarkus.websockets.next.WebSocketConnection;
import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.session.TenantCounters;

/**
 * Who is connected: registers authenticated connections under the tenant and subject limits, finds a connection's
 * session, and removes everything a connection held when it ends. What each connection watches is {@link Watchers}'
 * business, the figures are {@link RegistryStatistics}'.
 *
 * <p>All changes to one tenant's index happen inside {@code tenants.compute}, which serializes them per tenant and lets
 * an index disappear atomically with the tenant's last connection.
 */
@ApplicationScoped
public class ConnectionRegistry {

    private final Map<String, GatewaySession> sessions;
    private final Map<String, TenantIndex> tenants;
    private final Map<String, TenantCounters> counters;
    private final Map<String, AtomicInteger> openByEndpoint = new ConcurrentHashMap<>();
    /** Open connections per tenant and subject, for pulse.limits.connections-per-subject. */
    private final Map<String, AtomicInteger> openBySubject = new ConcurrentHashMap<>();
    private final Clock clock;

    public ConnectionRegistry(TenantIndexes indexes) {
        this.sessions = indexes.sessions;
        this.tenants = indexes.tenants;
        this.counters = indexes.counters;
        this.clock = Clock.systemUTC();
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
        if (!session.markClosed()) {
            return;
        }
        tenants.computeIfPresent(session.tenant(), (tenant, index) -> {
            Watchers.forget(index, session);
            for (String room : session.leaveAllRooms()) {
                Watchers.leave(index, room, session);
            }
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

    /** Every open connection (a snapshot): for the keepalive sweep and shutdown, not for per-message paths. */
    public List<GatewaySession> allSessions() {
        return List.copyOf(sessions.values());
    }

    /** Every connection of a tenant, as a read-only live view (weakly consistent, as {@code Watchers#roomMembers}). */
    public Collection<GatewaySession> tenantSessions(String tenant) {
        TenantIndex index = tenants.get(tenant);
        return index == null ? List.of() : Collections.unmodifiableCollection(index.sessions);
    }

    /** Tenants with at least one connection. */
    public Set<String> connectedTenants() {
        return Set.copyOf(tenants.keySet());
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

}

package dev.pulse.gateway.registry;

import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.pulse.gateway.security.GatewayPrincipal;
import io.quarkus.websockets.next.WebSocketConnection;

/** One authenticated WebSocket connection and what it watches. Identity is by reference. */
public final class GatewaySession {

    private final String id;
    private final WebSocketConnection connection;
    private final GatewayPrincipal principal;
    private final String endpoint;
    private final Instant connectedAt;
    private final Set<String> devices = ConcurrentHashMap.newKeySet();
    private volatile boolean alerts;
    private volatile boolean closed;
    private final AtomicLong messagesSent = new AtomicLong();
    private final AtomicLong messagesReceived = new AtomicLong();

    GatewaySession(String id, WebSocketConnection connection, GatewayPrincipal principal, String endpoint,
            Instant connectedAt) {
        this.id = id;
        this.connection = connection;
        this.principal = principal;
        this.endpoint = endpoint;
        this.connectedAt = connectedAt;
    }

    public String id() {
        return id;
    }

    public WebSocketConnection connection() {
        return connection;
    }

    public GatewayPrincipal principal() {
        return principal;
    }

    public String tenant() {
        return principal.tenant();
    }

    public String endpoint() {
        return endpoint;
    }

    public Instant connectedAt() {
        return connectedAt;
    }

    /** Devices this connection watches (a read-only view). */
    public Set<String> devices() {
        return Set.copyOf(devices);
    }

    public boolean alerts() {
        return alerts;
    }

    public long messagesSent() {
        return messagesSent.get();
    }

    public long messagesReceived() {
        return messagesReceived.get();
    }

    public void countSent() {
        messagesSent.incrementAndGet();
    }

    public void countReceived() {
        messagesReceived.incrementAndGet();
    }

    Set<String> deviceSet() {
        return devices;
    }

    /** True once the connection has been unregistered; no subscription may be added after that. */
    public boolean isClosed() {
        return closed;
    }

    void markClosed() {
        closed = true;
    }

    void alerts(boolean subscribed) {
        this.alerts = subscribed;
    }

    @Override
    public String toString() {
        return "session " + id + " (tenant " + principal.tenant() + ")";
    }
}

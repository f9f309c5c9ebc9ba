package dev.pulse.gateway.session;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.pulse.gateway.session.TokenBucket;
import dev.pulse.gateway.security.GatewayPrincipal;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;

/** One authenticated WebSocket connection and what it watches. Identity is by reference. */
public final class GatewaySession {

    private final String id;
    private final WebSocketConnection connection;
    private volatile GatewayPrincipal principal;
    private final String endpoint;
    private final Instant connectedAt;
    private final Set<String> devices = ConcurrentHashMap.newKeySet();
    private final Set<String> rooms = ConcurrentHashMap.newKeySet();
    private final Set<String> eventTypes = ConcurrentHashMap.newKeySet();
    private final TenantCounters counters;
    private volatile boolean alerts;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile long lastActivityNanos = System.nanoTime();
    private volatile long lastPongNanos = System.nanoTime();
    private volatile TokenBucket rateLimit;
    private volatile TokenBucket subscriptionRateLimit;
    private double rateViolations;
    private long lastViolationNanos;
    private final SessionOutbox outbox = new SessionOutbox();
    private final AtomicLong messagesSent = new AtomicLong();
    private final AtomicLong messagesReceived = new AtomicLong();

    private static final UserData.TypedKey<GatewaySession> SESSION = new UserData.TypedKey<>("pulse.session");

    /** The session registered for a connection, or empty for one never registered (rejected) or already gone. */
    public static Optional<GatewaySession> of(WebSocketConnection connection) {
        return Optional.ofNullable(connection.userData().get(SESSION));
    }

    /** Makes this session the one {@link #of} finds for its connection (on registration). */
    public void attach() {
        connection.userData().put(SESSION, this);
    }

    /** Undoes {@link #attach} (on unregistration). */
    public void detach() {
        connection.userData().remove(SESSION);
    }

    public GatewaySession(String id, WebSocketConnection connection, GatewayPrincipal principal, String endpoint,
            Instant connectedAt, TenantCounters counters) {
        this.counters = counters;
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

    /** Replaces the principal after an in-band token refresh; tenant and subject are checked by the caller. */
    public void refreshed(GatewayPrincipal refreshed) {
        this.principal = refreshed;
    }

    public SessionOutbox outbox() {
        return outbox;
    }

    /** Records a frame from the client (traffic for the idle timeout). */
    public void touched(long now) {
        lastActivityNanos = now;
    }

    public long lastActivityNanos() {
        return lastActivityNanos;
    }

    public void ponged(long now) {
        lastPongNanos = now;
    }

    public long lastPongNanos() {
        return lastPongNanos;
    }

    /** Takes a token of the per-connection message rate; true when the frame may be handled. */
    public boolean tryRate(long now, int messagesPerMinute) {
        if (messagesPerMinute <= 0) {
            return true;
        }
        TokenBucket bucket = rateLimit;
        if (bucket == null) {
            bucket = new TokenBucket(messagesPerMinute, 60_000_000_000L, now);
            rateLimit = bucket;
        }
        return bucket.tryTake(now);
    }

    /**
     * Takes {@code cost} tokens of the subscription rate: subscribe and unsubscribe requests have a burst of
     * {@code burst} (a page load subscribing to every device it may watch) and then the message rate.
     */
    public boolean trySubscriptionRate(long now, int messagesPerMinute, int burst, int cost) {
        if (messagesPerMinute <= 0) {
            return true;
        }
        TokenBucket bucket = subscriptionRateLimit;
        if (bucket == null) {
            // Refills at the message rate: the burst is for page loads, not for sustained churn.
            bucket = new TokenBucket(burst, 60_000_000_000L * burst / messagesPerMinute, now);
            subscriptionRateLimit = bucket;
        }
        return bucket.tryTake(now, Math.min(cost, burst));
    }

    /**
     * Counts a rate-limited frame and returns the violation count, which decays by one per {@code decayNanos}: a
     * client that overshoots now and then never accumulates its way to a close, a flood does within a burst.
     */
    public synchronized int rateViolation(long now, long decayNanos) {
        if (rateViolations > 0) {
            rateViolations = Math.max(0, rateViolations - (now - lastViolationNanos) / (double) decayNanos);
        }
        lastViolationNanos = now;
        rateViolations += 1;
        return (int) Math.ceil(rateViolations);
    }

    /** Whether the connection watches anything: devices, alerts or rooms (an event filter alone does not count). */
    public boolean hasSubscriptions() {
        return !devices.isEmpty() || alerts || !rooms.isEmpty();
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

    /** How many devices this connection watches (no copy). */
    public int deviceCount() {
        return devices.size();
    }

    /** Whether this connection watches {@code deviceId} (no copy). */
    public boolean watchesDevice(String deviceId) {
        return devices.contains(deviceId);
    }

    /** Whether this connection is in {@code room} (no copy). */
    public boolean inRoom(String room) {
        return rooms.contains(room);
    }

    /** Whether the filter names {@code eventType} itself: presence events go only to those who asked for them. */
    public boolean asksFor(String eventType) {
        return eventTypes.contains(eventType);
    }

    /** Devices this connection watches (a read-only view). */
    public Set<String> devices() {
        return Set.copyOf(devices);
    }

    /** Rooms this connection is in (a read-only copy). */
    public Set<String> rooms() {
        return Set.copyOf(rooms);
    }

    /** The event-type filter (a read-only copy); empty means every event of the connection's rooms. */
    public Set<String> eventTypes() {
        return Set.copyOf(eventTypes);
    }

    /** Whether an event of this type passes the connection's filter. */
    public boolean accepts(String eventType) {
        return eventTypes.isEmpty() || eventTypes.contains(eventType);
    }

    /**
     * Adds types to the filter, unless the filter would then hold more than {@code max} types: returns the filter after
     * the change, or null (and changes nothing) when it would be too large.
     */
    public synchronized Set<String> addEventTypes(Set<String> types, int max) {
        long added = types.stream().filter(type -> !eventTypes.contains(type)).count();
        if (eventTypes.size() + added > max) {
            return null;
        }
        eventTypes.addAll(types);
        return eventTypes();
    }

    /** Removes types from the filter; returns the filter after the change (empty: every event again). */
    public synchronized Set<String> removeEventTypes(Set<String> types) {
        eventTypes.removeAll(types);
        return eventTypes();
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
        counters.sent();
    }

    public void countReceived() {
        messagesReceived.incrementAndGet();
        counters.received();
    }

    /** The live set of watched devices: for the registry, which keeps it in step with its indexes. */
    public Set<String> deviceSet() {
        return devices;
    }

    /** The live set of rooms: for the registry, which keeps it in step with its indexes. */
    public Set<String> roomSet() {
        return rooms;
    }

    /** True for the one caller that first decides to close this connection: later frames are not answered again. */
    public boolean startClosing() {
        return closing.compareAndSet(false, true);
    }

    /** Whether Pulse has started closing this connection. */
    public boolean isClosing() {
        return closing.get();
    }

    /** True once the connection has been unregistered; no subscription may be added after that. */
    public boolean isClosed() {
        return closed;
    }

    public void markClosed() {
        closed = true;
    }

    public void alerts(boolean subscribed) {
        this.alerts = subscribed;
    }

    @Override
    public String toString() {
        return "session " + id + " (tenant " + principal.tenant() + ")";
    }
}

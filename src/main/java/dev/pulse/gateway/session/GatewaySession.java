package dev.pulse.gateway.session;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

import dev.pulse.gateway.security.GatewayPrincipal;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;

/**
 * One authenticated WebSocket connection and what it watches. Identity is by reference.
 *
 * <p>There is one per idle connection, so its fields are kept lean: what it watches is in {@link SmallSets} (replaced
 * on change, read without a lock), and its counters and flags are plain volatile fields updated atomically in place
 * rather than separate atomic objects.
 */
public final class GatewaySession {

    private static final AtomicLongFieldUpdater<GatewaySession> MESSAGES_SENT =
            AtomicLongFieldUpdater.newUpdater(GatewaySession.class, "messagesSent");
    private static final AtomicLongFieldUpdater<GatewaySession> MESSAGES_RECEIVED =
            AtomicLongFieldUpdater.newUpdater(GatewaySession.class, "messagesReceived");
    private static final AtomicIntegerFieldUpdater<GatewaySession> CLOSING =
            AtomicIntegerFieldUpdater.newUpdater(GatewaySession.class, "closing");
    private static final AtomicIntegerFieldUpdater<GatewaySession> CLOSED =
            AtomicIntegerFieldUpdater.newUpdater(GatewaySession.class, "closed");

    private final String id;
    private final WebSocketConnection connection;
    private volatile GatewayPrincipal principal;
    private final String endpoint;
    private final Instant connectedAt;
    private volatile Set<String> devices = Set.of();
    private volatile Set<String> rooms = Set.of();
    private volatile Set<String> eventTypes = Set.of();
    private final TenantCounters counters;
    private volatile boolean alerts;
    private volatile int closed;
    private volatile int closing;
    private volatile long lastActivityNanos = System.nanoTime();
    private volatile long lastPongNanos = System.nanoTime();
    private volatile TokenBucket rateLimit;
    private volatile TokenBucket subscriptionRateLimit;
    private double rateViolations;
    private long lastViolationNanos;
    private final SessionOutbox outbox = new SessionOutbox();
    private volatile long messagesSent;
    private volatile long messagesReceived;

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

    /** Devices this connection watches (a read-only snapshot). */
    public Set<String> devices() {
        return SmallSets.snapshot(devices);
    }

    /** Rooms this connection is in (a read-only snapshot). */
    public Set<String> rooms() {
        return SmallSets.snapshot(rooms);
    }

    /** The event-type filter (a read-only snapshot); empty means every event of the connection's rooms. */
    public Set<String> eventTypes() {
        return SmallSets.snapshot(eventTypes);
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
        Set<String> filter = eventTypes;
        for (String type : types) {
            filter = SmallSets.with(filter, type);
        }
        eventTypes = filter;
        return eventTypes();
    }

    /** Removes types from the filter; returns the filter after the change (empty: every event again). */
    public synchronized Set<String> removeEventTypes(Set<String> types) {
        Set<String> filter = eventTypes;
        for (String type : types) {
            filter = SmallSets.without(filter, type);
        }
        eventTypes = filter;
        return eventTypes();
    }

    public boolean alerts() {
        return alerts;
    }

    public long messagesSent() {
        return messagesSent;
    }

    public long messagesReceived() {
        return messagesReceived;
    }

    /** Counts messages written to this connection (a write run counts its messages at once). */
    public void countSent(int messages) {
        MESSAGES_SENT.addAndGet(this, messages);
        counters.sent(messages);
    }

    public void countReceived() {
        MESSAGES_RECEIVED.incrementAndGet(this);
        counters.received();
    }

    /** Records a device subscription (by the registry, in step with its indexes). */
    public synchronized void watchDevice(String deviceId) {
        devices = SmallSets.with(devices, deviceId);
    }

    /** Records the end of a device subscription (by the registry). */
    public synchronized void unwatchDevice(String deviceId) {
        devices = SmallSets.without(devices, deviceId);
    }

    /** Drops every device subscription at once (by the registry, on unregistration); returns the devices. */
    public synchronized Set<String> unwatchAllDevices() {
        Set<String> watched = devices;
        devices = Set.of();
        return watched;
    }

    /** Records joining a room (by the registry, in step with its indexes). */
    public synchronized void joinedRoom(String room) {
        rooms = SmallSets.with(rooms, room);
    }

    /** Records leaving a room (by the registry). */
    public synchronized void leftRoom(String room) {
        rooms = SmallSets.without(rooms, room);
    }

    /** Leaves every room at once (by the registry, on unregistration); returns the rooms it was in. */
    public synchronized Set<String> leaveAllRooms() {
        Set<String> left = rooms;
        rooms = Set.of();
        return left;
    }

    /** True for the one caller that first decides to close this connection: later frames are not answered again. */
    public boolean startClosing() {
        return CLOSING.compareAndSet(this, 0, 1);
    }

    /** Whether Pulse has started closing this connection. */
    public boolean isClosing() {
        return closing != 0;
    }

    /** True once the connection has been unregistered; no subscription may be added after that. */
    public boolean isClosed() {
        return closed != 0;
    }

    /** Marks the session closed; true for the one caller that did it (who then unregisters it). */
    public boolean markClosed() {
        return CLOSED.compareAndSet(this, 0, 1);
    }

    public void alerts(boolean subscribed) {
        this.alerts = subscribed;
    }

    @Override
    public String toString() {
        return "session " + id + " (tenant " + principal.tenant() + ")";
    }
}

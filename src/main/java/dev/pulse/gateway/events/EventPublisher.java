package dev.pulse.gateway.events;

import java.time.Clock;
import java.util.Collection;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.pulse.gateway.registry.Watchers;
import dev.pulse.gateway.delivery.Delivery;
import dev.pulse.gateway.delivery.Fanout;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.EventTypes;
import dev.pulse.gateway.protocol.Identifiers;
import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.session.GatewaySession;

/**
 * Publishes events to one tenant's live connections: to the members of a room, or to every connection of the tenant
 * when no room is named. Connections with an event-type filter get only the types they asked for. The event is
 * serialized once, whatever the number of recipients.
 *
 * <p>The one publishing path to local clients: {@code POST /ws/broadcast}, events relayed from other replicas,
 * {@link EventBroadcaster}'s typed helpers and Pulse's own pollers all go through it. In-process publishing is
 * replica-local on purpose (each replica reports its own view of its sources); {@code POST /ws/broadcast} also relays
 * to the other replicas ({@code cluster.EventRelay}).
 */
@ApplicationScoped
public class EventPublisher {

    private static final Logger LOG = Logger.getLogger(EventPublisher.class);

    private final Watchers watchers;
    private final ConnectionRegistry registry;
    private final ServerMessages messages;
    private final Delivery delivery;
    private final GatewayMetrics metrics;
    private final ObjectMapper mapper;
    private final Clock clock = Clock.systemUTC();

    public EventPublisher(Watchers watchers, ConnectionRegistry registry, ServerMessages messages, Delivery delivery,
            GatewayMetrics metrics, ObjectMapper mapper) {
        this.watchers = watchers;
        this.registry = registry;
        this.messages = messages;
        this.delivery = delivery;
        this.metrics = metrics;
        this.mapper = mapper;
    }

    /**
     * Sends an event to the tenant's connections and returns how many local connections received it.
     *
     * @param room a room of the tenant, or null for every connection of the tenant
     * @throws IllegalArgumentException for an invalid event type or room name
     */
    public int publish(String tenant, String eventType, ObjectNode data, String source, String room) {
        return publish(tenant, eventType, data, source, room, clock.instant());
    }

    /**
     * {@link #publish(String, String, ObjectNode, String, String)} with the event's timestamp given: the one it got
     * on the replica that accepted it, so every replica's clients see the same event.
     */
    public int publish(String tenant, String eventType, ObjectNode data, String source, String room,
            java.time.Instant timestamp) {
        if (!EventTypes.isValid(eventType)) {
            throw new IllegalArgumentException("invalid event type: " + eventType);
        }
        if (room != null && !Identifiers.isValidRoom(room)) {
            throw new IllegalArgumentException("invalid room: " + room);
        }
        Collection<GatewaySession> targets = room == null ? registry.tenantSessions(tenant)
                : watchers.roomMembers(tenant, room);
        Fanout fanout = null;
        int recipients = 0;
        try {
            for (GatewaySession session : targets) {
                if (session.accepts(eventType)) {
                    if (fanout == null) {
                        fanout = delivery.fanout(messages.event(eventType, timestamp, data, source, room));
                    }
                    fanout.add(session);
                    recipients++;
                }
            }
        } finally {
            // Recipients added are counted as pending: they get the message even if a later one failed.
            if (fanout != null) {
                fanout.send();
            }
        }
        metrics.broadcastDelivered(recipients);
        LOG.debugf("Event %s for room %s reached %d connections", eventType, room, recipients);
        return recipients;
    }

    /**
     * Tells the room's members that {@code member} joined or left ({@code member_joined} / {@code member_left}).
     * Presence is opt-in: only connections whose event filter names the type receive it, never the member itself,
     * never another tenant. Costs nothing while nobody of the tenant asked for presence.
     */
    public void presence(GatewaySession member, String room, String eventType) {
        Collection<GatewaySession> listeners = watchers.presenceListeners(member.tenant());
        if (listeners.isEmpty()) {
            return;
        }
        OutboundMessage message = null;
        for (GatewaySession listener : listeners) {
            if (listener != member && listener.inRoom(room) && listener.asksFor(eventType)) {
                if (message == null) {
                    ObjectNode data = mapper.createObjectNode();
                    data.put("room", room);
                    data.put("connection_id", member.id());
                    data.put("subject", member.principal().subject());
                    data.put("members", watchers.roomMembers(member.tenant(), room).size());
                    message = messages.event(eventType, clock.instant(), data, "pulse", room);
                }
                delivery.send(listener, message);
            }
        }
    }

    /** {@link #publish(String, String, ObjectNode, String, String)} with the data as a map of plain values. */
    public int publish(String tenant, String eventType, Map<String, ?> data, String source, String room) {
        return publish(tenant, eventType, (ObjectNode) mapper.valueToTree(data), source, room);
    }
}

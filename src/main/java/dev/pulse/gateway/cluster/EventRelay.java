package dev.pulse.gateway.cluster;

import java.time.Instant;
import java.util.Arrays;
import java.util.function.Consumer;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.EventTypes;
import dev.pulse.gateway.protocol.Identifiers;
import dev.pulse.gateway.protocol.Timestamps;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * Carries broadcast events to the other replicas. The accepting replica sends each event (tenant, event, an HMAC
 * seal) on {@link PostgresBus#EVENTS_CHANNEL}, then delivers to its own clients; every other replica delivers what it
 * hears to its clients. Each client gets the event once: a replica ignores its own notifications. Events that arrive
 * together share a NOTIFY and a seal ({@link RelayChannel}); an event over the 8000-byte NOTIFY limit is stored in
 * {@code pulse_relay_events} and only its id is notified, so events keep the {@code pulse.events.max-payload-bytes}
 * limit (64 KiB) on any number of replicas.
 *
 * <p>
 * Any role that can log in to the database can NOTIFY and LISTEN on any channel, so notifications are sealed with
 * {@code pulse.cluster.secret} and each is accepted once, while fresh ({@link EnvelopeSeal}). Rejected
 * notifications are counted by reason ({@code pulse_cluster_rejected_total}).
 */
@ApplicationScoped
public class EventRelay {

    private static final Logger LOG = Logger.getLogger(EventRelay.class);

    private static final String CLEANUP = "DELETE FROM pulse_relay_events WHERE created_at < now() - interval '5 minutes'";

    private final PostgresBus bus;
    private final Pool pool;
    private volatile Consumer<RelayedEvent> receiver = event -> { };
    private final GatewayMetrics metrics;
    private final ObjectMapper mapper;
    private final ReplicaIdentity identity;
    private final RelayKeys keys;
    private RelayChannel channel;

    /** An event ready to relay: what goes to the other replicas, and what the local delivery needs. */
    public record Envelope(ObjectNode item, String tenant, String eventType, ObjectNode data, String source,
            String room, Instant timestamp) {
    }

    /** An event another replica relayed, checked and ready to deliver to this replica's clients. */
    public record RelayedEvent(String tenant, String eventType, ObjectNode data, String source, String room,
            Instant timestamp) {
    }

    public EventRelay(PostgresBus bus, Pool pool, GatewayMetrics metrics, ObjectMapper mapper,
            ReplicaIdentity identity, RelayKeys keys) {
        this.bus = bus;
        this.pool = pool;
        this.metrics = metrics;
        this.mapper = mapper;
        this.identity = identity;
        this.keys = keys;
        metrics.declareRelayRejectionReasons(Arrays.stream(EnvelopeSeal.Verdict.values())
                .filter(verdict -> verdict != EnvelopeSeal.Verdict.ACCEPTED).map(EnvelopeSeal.Verdict::label).toList());
    }

    @PostConstruct
    void init() {
        if (!bus.enabled()) {
            return;
        }
        channel = new RelayChannel(PostgresBus.EVENTS_CHANNEL, bus, pool, mapper, identity.id(), keys.seal(),
                outcomes(), this::deliver);
    }

    /** Before {@link PostgresBus} connects (a lower priority runs first). */
    void register(@Observes @Priority(Interceptor.Priority.APPLICATION) StartupEvent started) {
        bus.listen(PostgresBus.EVENTS_CHANNEL, notification -> channel.received(notification), () -> { });
    }

    /** Where events relayed by the other replicas go (the events layer's publisher); set once at start-up. */
    public void onReceived(Consumer<RelayedEvent> receiver) {
        this.receiver = receiver;
    }

    /** Whether events go to the other replicas at all ({@code pulse.cluster.enabled}). */
    public boolean enabled() {
        return bus.enabled();
    }

    /** Wraps an event for the other replicas. */
    public Envelope envelope(String tenant, String eventType, ObjectNode data, String source, String room) {
        Instant now = Instant.now();
        ObjectNode item = mapper.createObjectNode();
        item.put("tenant", tenant);
        item.put("event_type", eventType);
        item.put("source", source);
        if (room != null) {
            item.put("room", room);
        }
        item.put("timestamp", Timestamps.format(now));
        item.set("data", data);
        return new Envelope(item, tenant, eventType, data, source, room, now);
    }

    /**
     * Sends the event to the other replicas (with others sent at the same time, in one NOTIFY). Fails (and counts)
     * when PostgreSQL cannot be reached.
     */
    public Uni<Void> send(Envelope envelope) {
        return channel.send(envelope.item())
                .onFailure().invoke(failure -> LOG.warnf("Event %s of tenant %s not relayed to the other replicas: %s",
                        envelope.eventType(), envelope.tenant(), failure.getMessage()));
    }

    /** Rows older than five minutes have been read by every replica that was listening. */
    @Scheduled(identity = "relay-cleanup", every = "60s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> deleteOldStoredEvents() {
        if (!bus.enabled()) {
            return Uni.createFrom().voidItem();
        }
        return pool.query(CLEANUP).execute().replaceWithVoid().onFailure().recoverWithNull();
    }

    /** Delivers an event from another replica, which passed the seal, to this replica's clients. */
    private void deliver(JsonNode event) {
        String tenant = event.path("tenant").asText(null);
        String eventType = event.path("event_type").asText(null);
        String room = event.hasNonNull("room") ? event.path("room").asText() : null;
        if (tenant == null || !EventTypes.isValid(eventType) || (room != null && !Identifiers.isValidRoom(room))
                || !event.path("data").isObject()) {
            reject(EnvelopeSeal.Verdict.MALFORMED);
            return;
        }
        Instant timestamp = Timestamps.parse(event.path("timestamp").asText()).orElseGet(Instant::now);
        metrics.relayed("received");
        receiver.accept(new RelayedEvent(tenant, eventType, (ObjectNode) event.get("data"),
                event.path("source").asText(), room, timestamp));
    }

    private RelayChannel.Outcomes outcomes() {
        return new RelayChannel.Outcomes() {
            @Override
            public void items(String outcome, int count) {
                metrics.relayed(outcome, count);
            }

            @Override
            public void notified(int items) {
                metrics.relayNotified(PostgresBus.EVENTS_CHANNEL);
            }

            @Override
            public void rejected(EnvelopeSeal.Verdict verdict) {
                reject(verdict);
            }
        };
    }

    /** Counts a notification that was not delivered; logged at debug only, since anyone may send them by the thousand. */
    private void reject(EnvelopeSeal.Verdict verdict) {
        metrics.relayed("rejected");
        metrics.relayRejected(verdict.label());
        LOG.debugf("Dropped a notification on the events channel: %s", verdict.label());
    }
}

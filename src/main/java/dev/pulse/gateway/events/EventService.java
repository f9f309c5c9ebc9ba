package dev.pulse.gateway.events;

import java.time.Duration;
import java.time.Instant;
import java.util.OptionalInt;
import java.util.concurrent.Executor;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.pulse.gateway.cluster.EventRelay;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/**
 * Events that reach every replica: relayed to the others first ({@link EventRelay}), then delivered to this replica's
 * clients ({@link EventPublisher}); and events relayed by the others, delivered here. The one place that owns
 * relay-then-publish, so neither the REST layer nor the cluster layer calls back into the other.
 */
@Startup
@Singleton
public class EventService {

    /** NOTIFY normally takes a millisecond; a PostgreSQL that does not answer in this time counts as unreachable. */
    private static final Duration RELAY_TIMEOUT = Duration.ofSeconds(5);

    private final EventPublisher publisher;
    private final EventRelay relay;
    private final Executor worker = Infrastructure.getDefaultWorkerPool();

    public EventService(EventPublisher publisher, EventRelay relay) {
        this.publisher = publisher;
        this.relay = relay;
        relay.onReceived(event -> publisher.publish(event.tenant(), event.eventType(), event.data(), event.source(),
                event.room(), event.timestamp()));
    }

    /**
     * Publishes on every replica: relays first (if that fails, no replica delivered it and the caller may retry
     * without duplicates), then delivers to this replica's connections on a worker thread. The item is the number of
     * local recipients, or empty when the event could not be relayed and was delivered nowhere.
     */
    public Uni<OptionalInt> broadcast(String tenant, String eventType, ObjectNode data, String source, String room) {
        Uni<Instant> relayed;
        if (relay.enabled()) {
            EventRelay.Envelope envelope = relay.envelope(tenant, eventType, data, source, room);
            relayed = relay.send(envelope).ifNoItem().after(RELAY_TIMEOUT).fail()
                    .map(ignored -> envelope.timestamp())
                    .onFailure().recoverWithNull();
        } else {
            relayed = Uni.createFrom().item(Instant::now);
        }
        return relayed.emitOn(worker).map(timestamp -> timestamp == null ? OptionalInt.empty()
                : OptionalInt.of(publisher.publish(tenant, eventType, data, source, room, timestamp)));
    }
}

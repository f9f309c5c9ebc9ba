package dev.pulse.gateway.events;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executor;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.pulse.gateway.cluster.EventRelay;
import dev.pulse.gateway.delivery.FanoutBudget;
import dev.pulse.gateway.observability.GatewayMetrics;
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
    private final FanoutBudget budget;
    private final GatewayMetrics metrics;
    private final Executor worker = Infrastructure.getDefaultWorkerPool();

    /** What became of a broadcast. */
    public sealed interface Outcome {
        /** Relayed to the other replicas and delivered to this many connections here. */
        record Delivered(int recipients) implements Outcome {
        }

        /** PostgreSQL could not be reached to relay it: delivered nowhere, safe to retry. */
        record RelayUnavailable() implements Outcome {
        }

        /** This replica's (or the tenant's) fan-out is at its bound: delivered nowhere; retry after the delay. */
        record Throttled(Duration retryAfter) implements Outcome {
        }
    }

    public EventService(EventPublisher publisher, EventRelay relay, FanoutBudget budget, GatewayMetrics metrics) {
        this.publisher = publisher;
        this.relay = relay;
        this.budget = budget;
        this.metrics = metrics;
        relay.onReceived(event -> publisher.publish(event.tenant(), event.eventType(), event.data(), event.source(),
                event.room(), event.timestamp()));
    }

    /**
     * Publishes on every replica: refused at once while this replica's fan-out for the tenant is at its bound
     * ({@link FanoutBudget}); otherwise relays first (if that fails, no replica delivered it and the caller may retry
     * without duplicates), then delivers to this replica's connections on a worker thread.
     */
    public Uni<Outcome> broadcast(String tenant, String eventType, ObjectNode data, String source, String room) {
        Optional<Duration> refusal = budget.refusal(tenant);
        if (refusal.isPresent()) {
            metrics.eventsThrottled("rest");
            return Uni.createFrom().item(new Outcome.Throttled(refusal.get()));
        }
        Uni<Instant> relayed;
        if (relay.enabled()) {
            EventRelay.Envelope envelope = relay.envelope(tenant, eventType, data, source, room);
            relayed = relay.send(envelope).ifNoItem().after(RELAY_TIMEOUT).fail()
                    .map(ignored -> envelope.timestamp())
                    .onFailure().recoverWithNull();
        } else {
            relayed = Uni.createFrom().item(Instant::now);
        }
        return relayed.emitOn(worker).map(timestamp -> timestamp == null ? new Outcome.RelayUnavailable()
                : new Outcome.Delivered(publisher.publish(tenant, eventType, data, source, room, timestamp)));
    }
}

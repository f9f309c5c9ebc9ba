package dev.pulse.gateway.alerts;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.ArrayNode;

import dev.pulse.gateway.delivery.Delivery;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.observability.SourceHealth;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.registry.AlertFeed;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.registry.GatewaySession;
import io.smallrye.mutiny.Uni;

/** Alert subscriptions: indexes them, serves the current list at once on subscribe, and publishes changed lists. */
@ApplicationScoped
public class AlertService {

    private static final Logger LOG = Logger.getLogger(AlertService.class);

    private final ConnectionRegistry registry;
    private final AlertRepository repository;
    private final ServerMessages messages;
    private final Delivery delivery;
    private final SourceHealth health;

    public AlertService(ConnectionRegistry registry, AlertRepository repository, ServerMessages messages,
            Delivery delivery, SourceHealth health) {
        this.health = health;
        this.registry = registry;
        this.repository = repository;
        this.messages = messages;
        this.delivery = delivery;
    }

    /** Registers the subscription. Call {@link #sendCurrent} after the confirmation has been sent. */
    public AlertFeed subscribe(GatewaySession session) {
        return registry.subscribeAlerts(session);
    }

    /**
     * Sends the tenant's current list to a new subscriber: from memory when another connection of the tenant already
     * subscribes, otherwise by reading it once.
     */
    public void sendCurrent(GatewaySession session, AlertFeed feed) {
        health.greet(GatewayMetrics.POSTGRESQL, session);
        feed.catchUp(session, delivery::send);
        if (feed.claimInitialRead()) {
            refresh(feed).subscribe().with(
                    ignored -> { },
                    failure -> LOG.debugf("Initial alert read failed: %s", failure.getMessage()));
        }
    }

    public boolean unsubscribe(GatewaySession session) {
        return registry.unsubscribeAlerts(session);
    }

    /** Reads the tenant's list once and sends it to every subscriber whose last list differs. */
    public Uni<Void> refresh(AlertFeed feed) {
        return repository.openAlerts(feed.tenant())
                .invoke(alerts -> publish(feed, alerts))
                .replaceWithVoid();
    }

    private void publish(AlertFeed feed, ArrayNode alerts) {
        feed.publish(messages.alerts(alerts), delivery::send);
    }
}

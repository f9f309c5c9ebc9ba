package dev.pulse.gateway.alerts;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.registry.Watchers;
import dev.pulse.gateway.observability.DataSource;
import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.delivery.Delivery;
import dev.pulse.gateway.sources.SourceHealth;
import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.registry.AlertFeed;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.sources.FirstReads;
import io.smallrye.mutiny.Uni;
import dev.pulse.gateway.cluster.PollResultRelay;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;

/**
 * Alert subscriptions: indexes them, serves the current list at once on subscribe, and publishes changed lists.
 *
 * <p>The list for a new subscriber comes from memory when another connection of the tenant already subscribes or when
 * the tenant's list was read less than one interval ago (and no change was notified since); otherwise the tenant
 * joins a coalesced first read ({@link FirstReads}), so subscribe/unsubscribe loops cannot multiply PostgreSQL reads.
 */
@ApplicationScoped
public class AlertService {

    private static final Logger LOG = Logger.getLogger(AlertService.class);
    /** How long a tenant's first read waits for other subscribes: at most one first read per tenant per window. */
    static final Duration FIRST_READ_WINDOW = Duration.ofMillis(100);
    private static final String LIST = "alerts";
    /** The {@code kind} of alert lists relayed between replicas. */
    static final String RELAYED_KIND = "alerts";

    private final Watchers watchers;
    private final ConnectionRegistry registry;
    private final AlertRepository repository;
    private final ServerMessages messages;
    private final Delivery delivery;
    private final SourceHealth health;
    private final FirstReads<OutboundMessage> firstReads;
    private final PollResultRelay relay;
    private final ObjectMapper mapper;

    public AlertService(Watchers watchers, ConnectionRegistry registry, AlertRepository repository, ServerMessages messages,
            Delivery delivery, SourceHealth health, Vertx vertx, PollResultRelay relay, ObjectMapper mapper,
            PulseConfig config) {
        this.watchers = watchers;
        this.relay = relay;
        this.mapper = mapper;
        relay.onReceived(RELAYED_KIND, this::relayed);
        this.health = health;
        this.registry = registry;
        this.repository = repository;
        this.messages = messages;
        this.delivery = delivery;
        this.firstReads = new FirstReads<>(config.alerts().pollInterval(), FIRST_READ_WINDOW,
                (delay, flush) -> vertx.setTimer(delay, timer -> flush.run()), this::readFirst, System::nanoTime);
    }

    /** Registers the subscription. Call {@link #sendCurrent} after the confirmation has been sent. */
    public AlertFeed subscribe(GatewaySession session) {
        return watchers.subscribeAlerts(session);
    }

    /**
     * Sends the tenant's current list to a new subscriber: from memory when it is known, otherwise by the tenant's
     * next coalesced first read.
     */
    public void sendCurrent(GatewaySession session, AlertFeed feed) {
        health.greet(DataSource.POSTGRESQL, session);
        feed.catchUp(session, delivery::send);
        if (feed.claimInitialRead()) {
            FirstReads.Reading<OutboundMessage> recent = firstReads.fresh(feed.tenant(), LIST);
            if (recent == null) {
                firstReads.request(feed.tenant(), LIST);
            } else {
                feed.publish(recent.value(), delivery::send);
            }
        }
    }

    public boolean unsubscribe(GatewaySession session) {
        return watchers.unsubscribeAlerts(session);
    }

    /**
     * Reads the tenant's list once and sends it to every subscriber here whose last list differs, and, when other
     * replicas watch the tenant too ({@code relayToOthers}), to those replicas.
     */
    public Uni<Void> refresh(String tenant, boolean relayToOthers) {
        return repository.openAlerts(tenant)
                .invoke(open -> {
                    publish(tenant, open);
                    if (relayToOthers) {
                        ObjectNode result = mapper.createObjectNode();
                        result.set("alerts", open.alerts());
                        if (open.newestChange() != null) {
                            result.put("newest_change", open.newestChange().toString());
                        }
                        if (open.readAt() != null) {
                            result.put("read_at", open.readAt().toString());
                        }
                        relay.send(RELAYED_KIND, tenant, result);
                    }
                })
                .onFailure().invoke(failure -> {
                    if (relayToOthers) {
                        relay.send(RELAYED_KIND, tenant, mapper.createObjectNode().put("failed",
                                String.valueOf(failure.getMessage())));
                    }
                })
                .replaceWithVoid();
    }

    /** A list another replica read for this tenant: published to the subscribers here whose last list differs. */
    private void relayed(String tenant, JsonNode result) {
        if (watchers.alertFeed(tenant).isEmpty()) {
            // Every replica hears every result: one for a tenant without alert subscribers here concerns nobody here.
            return;
        }
        if (result.hasNonNull("failed")) {
            health.reportRemoteFailure(DataSource.POSTGRESQL, tenant, "read by another replica: "
                    + result.path("failed").asText());
            return;
        }
        if (!result.path("alerts").isArray()) {
            return;
        }
        try {
            publish(tenant, new AlertRepository.OpenAlerts((ArrayNode) result.get("alerts"),
                    instant(result, "newest_change"), instant(result, "read_at")));
            health.reportRemoteSuccess(DataSource.POSTGRESQL, tenant);
        } catch (java.time.format.DateTimeParseException e) {
            LOG.debugf("A relayed alert list with a malformed time was dropped: %s", e.getMessage());
        }
    }

    private static Instant instant(JsonNode result, String field) {
        return result.hasNonNull(field) ? Instant.parse(result.path(field).asText()) : null;
    }

    /** A change of the tenant's alerts was notified: a list read before it must not serve new subscribers. */
    public void changed(String tenant) {
        firstReads.forget(tenant);
    }

    /** Once per poll cycle: forgets lists older than an interval. */
    public void expireReadings() {
        firstReads.expire();
    }

    /** Reads the list and publishes it to the tenant's feed as it is when the answer arrives (it may be a new one). */
    private Uni<Void> read(String tenant) {
        return repository.openAlerts(tenant)
                .invoke(open -> publish(tenant, open))
                .replaceWithVoid();
    }

    private void publish(String tenant, AlertRepository.OpenAlerts open) {
        OutboundMessage list = messages.alerts(open.alerts());
        Optional<AlertFeed> feed = watchers.alertFeed(tenant);
        // A list older than one already published is dropped, and not kept for new subscribers either.
        if (feed.isEmpty() || feed.get().publishRead(feed.get().advanceNewestChange(open.newestChange())
                ? list.withOrigin(open.newestChange()) : list, open.readAt(), delivery::send)) {
            firstReads.record(tenant, LIST, list);
        }
    }

    private void readFirst(String tenant, Set<String> ignored) {
        read(tenant).subscribe().with(done -> { },
                failure -> LOG.debugf("First alert read failed: %s", failure.getMessage()));
    }
}

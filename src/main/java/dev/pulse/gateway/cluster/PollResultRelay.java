package dev.pulse.gateway.cluster;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

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
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * Carries what the owner of a tenant read ({@link PollOwnership}) to the other replicas, on
 * {@link PostgresBus#POLLS_CHANNEL}: one item per tenant and source ({@code kind}), encrypted ({@link PayloadCipher}:
 * alert lists and readings are what row-level security protects, and any database role may LISTEN), then sealed and
 * batched like events ({@link RelayChannel}); results too large for a NOTIFY go through the relay table. A lost result costs its receivers
 * one interval: the next poll reads the latest again.
 */
@ApplicationScoped
public class PollResultRelay {

    private static final Logger LOG = Logger.getLogger(PollResultRelay.class);

    private final PostgresBus bus;
    private final Pool pool;
    private final ObjectMapper mapper;
    private final GatewayMetrics metrics;
    private final ReplicaIdentity identity;
    private final RelayKeys keys;
    private final Map<String, BiConsumer<String, JsonNode>> receivers = new ConcurrentHashMap<>();
    private RelayChannel channel;
    private PayloadCipher cipher;

    public PollResultRelay(PostgresBus bus, Pool pool, ObjectMapper mapper, GatewayMetrics metrics,
            ReplicaIdentity identity, RelayKeys keys) {
        this.bus = bus;
        this.pool = pool;
        this.mapper = mapper;
        this.metrics = metrics;
        this.identity = identity;
        this.keys = keys;
    }

    @PostConstruct
    void init() {
        if (!bus.enabled()) {
            return;
        }
        cipher = keys.cipher();
        channel = new RelayChannel(PostgresBus.POLLS_CHANNEL, bus, pool, mapper, identity.id(), keys.seal(),
                new RelayChannel.Outcomes() {
                    @Override
                    public void items(String outcome, int count) {
                        metrics.pollResultsRelayed(outcome, count);
                    }

                    @Override
                    public void notified(int items) {
                        metrics.relayNotified(PostgresBus.POLLS_CHANNEL);
                    }

                    @Override
                    public void rejected(EnvelopeSeal.Verdict verdict) {
                        metrics.pollResultsRelayed("rejected", 1);
                        metrics.relayRejected(verdict.label());
                    }
                }, this::received);
    }

    /** Before {@link PostgresBus} connects (a lower priority runs first). */
    void register(@Observes @Priority(Interceptor.Priority.APPLICATION) StartupEvent started) {
        if (channel != null) {
            bus.listen(PostgresBus.POLLS_CHANNEL, channel::received, () -> { });
        }
    }

    /** Where results of {@code kind} read by other replicas go: {@code receiver(tenant, result)}; set at start-up. */
    public void onReceived(String kind, BiConsumer<String, JsonNode> receiver) {
        receivers.put(kind, receiver);
    }

    /**
     * Sends a result read here to the other replicas. Fire and forget: a failure is counted and logged, and the
     * receivers get the next interval's result.
     */
    public void send(String kind, String tenant, ObjectNode result) {
        if (channel == null) {
            return;
        }
        result.put("kind", kind);
        result.put("tenant", tenant);
        ObjectNode encrypted = mapper.createObjectNode().put("enc", cipher.encrypt(result.toString()));
        channel.send(encrypted).subscribe().with(sent -> { }, failure -> LOG.debugf(
                "A %s poll result of tenant %s was not relayed: %s", kind, tenant, failure.getMessage()));
    }

    private void received(JsonNode sealed) {
        JsonNode item = open(sealed);
        if (item == null) {
            metrics.pollResultsRelayed("rejected", 1);
            metrics.relayRejected(EnvelopeSeal.Verdict.MALFORMED.label());
            return;
        }
        String tenant = item.path("tenant").asText("");
        BiConsumer<String, JsonNode> receiver = receivers.get(item.path("kind").asText(""));
        if (tenant.isEmpty() || receiver == null) {
            metrics.pollResultsRelayed("rejected", 1);
            metrics.relayRejected(EnvelopeSeal.Verdict.MALFORMED.label());
            return;
        }
        metrics.pollResultsRelayed("received", 1);
        receiver.accept(tenant, item);
    }

    /** The result inside an item, or null when it does not decrypt with the cluster's key or is not an object. */
    private JsonNode open(JsonNode sealed) {
        String text = sealed.path("enc").isTextual() ? cipher.decrypt(sealed.path("enc").asText()) : null;
        try {
            JsonNode item = text == null ? null : mapper.readTree(text);
            return item != null && item.isObject() ? item : null;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return null;
        }
    }
}

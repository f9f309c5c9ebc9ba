package dev.pulse.gateway.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;
import java.util.function.Consumer;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.EventTypes;
import dev.pulse.gateway.protocol.Identifiers;
import dev.pulse.gateway.protocol.Timestamps;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Carries broadcast events to the other replicas. The accepting replica NOTIFYs an envelope (tenant, event, its
 * origin replica, an HMAC) on {@link PostgresBus#EVENTS_CHANNEL}, then delivers to its own clients; every other
 * replica delivers what it hears to its clients. Each client gets the event once: a replica ignores its own
 * envelopes. An envelope over the 8000-byte NOTIFY limit is stored in {@code pulse_relay_events} and only its id is
 * notified, so events keep the {@code pulse.events.max-payload-bytes} limit (64 KiB) on any number of replicas.
 *
 * <p>
 * Any role that can log in to the database can NOTIFY and LISTEN on any channel, so envelopes and references are
 * sealed with {@code pulse.cluster.secret} and each is accepted once, while fresh ({@link EnvelopeSeal}). Rejected
 * notifications are counted by reason ({@code pulse_cluster_rejected_total}).
 */
@ApplicationScoped
public class EventRelay {

    private static final Logger LOG = Logger.getLogger(EventRelay.class);

    private static final String STORE = "INSERT INTO pulse_relay_events (payload) VALUES ($1) RETURNING id";
    private static final String LOAD = "SELECT payload FROM pulse_relay_events WHERE id = $1";
    private static final String CLEANUP = "DELETE FROM pulse_relay_events WHERE created_at < now() - interval '5 minutes'";

    private final PostgresBus bus;
    private final Pool pool;
    private volatile Consumer<RelayedEvent> receiver = event -> { };
    private final GatewayMetrics metrics;
    private final ObjectMapper mapper;
    private final PulseConfig.Cluster config;
    private final String replica = UUID.randomUUID().toString();
    private EnvelopeSeal seal;

    /** An event ready to relay: its envelope as sent, and what the local delivery needs. */
    public record Envelope(String payload, String tenant, String eventType, ObjectNode data, String source,
            String room, Instant timestamp) {

        boolean fitsNotify() {
            return payload.getBytes(StandardCharsets.UTF_8).length <= PostgresBus.MAX_PAYLOAD_BYTES;
        }
    }

    /** An event another replica relayed, checked and ready to deliver to this replica's clients. */
    public record RelayedEvent(String tenant, String eventType, ObjectNode data, String source, String room,
            Instant timestamp) {
    }

    public EventRelay(PostgresBus bus, Pool pool, GatewayMetrics metrics,
            ObjectMapper mapper, PulseConfig config) {
        this.bus = bus;
        this.pool = pool;
        this.metrics = metrics;
        this.mapper = mapper;
        this.config = config.cluster();
        metrics.declareRelayRejectionReasons(Arrays.stream(EnvelopeSeal.Verdict.values())
                .filter(verdict -> verdict != EnvelopeSeal.Verdict.ACCEPTED).map(EnvelopeSeal.Verdict::label).toList());
    }

    @PostConstruct
    void init() {
        if (!bus.enabled()) {
            return;
        }
        String secret = config.secret().filter(s -> !s.isEmpty()).orElseThrow(() -> new IllegalStateException(
                "pulse.cluster.secret (PULSE_CLUSTER_SECRET) is required while pulse.cluster.enabled is true: the same"
                        + " random value of at least 32 bytes on every replica"));
        seal = new EnvelopeSeal(secret, config.maxAge(), config.replayCacheSize(), mapper, System::currentTimeMillis);
    }

    /** Before {@link PostgresBus} connects (a lower priority runs first). */
    void register(@Observes @Priority(Interceptor.Priority.APPLICATION) StartupEvent started) {
        bus.listen(PostgresBus.EVENTS_CHANNEL, this::received, () -> { });
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
        ObjectNode body = mapper.createObjectNode();
        body.put("origin", replica);
        body.put("tenant", tenant);
        body.put("event_type", eventType);
        body.put("source", source);
        if (room != null) {
            body.put("room", room);
        }
        body.put("timestamp", Timestamps.format(now));
        body.set("data", data);
        return new Envelope(seal.seal(body), tenant, eventType, data, source, room, now);
    }

    /**
     * NOTIFYs the envelope, or, when it is too large for a NOTIFY payload, stores it in {@code pulse_relay_events}
     * and NOTIFYs its id. Fails (and counts) when PostgreSQL cannot be reached.
     */
    public Uni<Void> send(Envelope envelope) {
        Uni<Void> sent = envelope.fitsNotify() ? bus.notify(PostgresBus.EVENTS_CHANNEL, envelope.payload())
                : pool.preparedQuery(STORE).execute(Tuple.of(envelope.payload()))
                        .map(rows -> rows.iterator().next().getLong("id"))
                        .chain(id -> bus.notify(PostgresBus.EVENTS_CHANNEL, reference(id)));
        return sent
                .invoke(() -> metrics.relayed("sent"))
                .onFailure().invoke(failure -> {
                    metrics.relayed("failed");
                    LOG.warnf("Event %s of tenant %s not relayed to the other replicas: %s", envelope.eventType(),
                            envelope.tenant(), failure.getMessage());
                });
    }

    /**
     * A sealed reference to an envelope stored in the relay table: an envelope of its own (id, sending time,
     * signature), so a replayed or forged reference is rejected before it costs a database read.
     */
    private String reference(long storedId) {
        ObjectNode body = mapper.createObjectNode();
        body.put("origin", replica);
        body.put("ref", storedId);
        return seal.seal(body);
    }

    /**
     * A notification on the events channel: a sealed event, or a sealed reference to one stored in the table. Every
     * replica hears its own notifications too: those are dropped before the HMAC is computed, since there is nothing
     * to deliver (a forger who copies this replica's origin only gets its notification ignored).
     */
    void received(String notification) {
        JsonNode outer = parse(notification);
        String text = EnvelopeSeal.bodyText(outer);
        if (!text.isEmpty() && text.contains(replica) && replica.equals(originOf(text))) {
            return;
        }
        EnvelopeSeal.Opened opened = seal.open(outer);
        if (opened.verdict() != EnvelopeSeal.Verdict.ACCEPTED) {
            reject(opened.verdict());
            return;
        }
        if (!opened.body().path("ref").isIntegralNumber()) {
            deliver(opened.body());
            return;
        }
        pool.preparedQuery(LOAD).execute(Tuple.of(opened.body().path("ref").asLong())).subscribe().with(rows -> {
            EnvelopeSeal.Opened stored = rows.iterator().hasNext()
                    ? seal.open(parse(rows.iterator().next().getString("payload")))
                    : EnvelopeSeal.Opened.rejected(EnvelopeSeal.Verdict.MALFORMED);
            if (stored.verdict() == EnvelopeSeal.Verdict.ACCEPTED) {
                deliver(stored.body());
            } else {
                reject(stored.verdict());
            }
        }, failure -> {
            metrics.relayed("lost");
            LOG.warnf("A relayed event could not be read from PostgreSQL: %s", failure.getMessage());
        });
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

    /** The JSON object in {@code text}, or null when it is not one. */
    private JsonNode parse(String text) {
        try {
            JsonNode node = text == null || text.isEmpty() ? null : mapper.readTree(text);
            return node != null && node.isObject() ? node : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private String originOf(String bodyText) {
        JsonNode body = parse(bodyText);
        return body == null ? null : body.path("origin").asText(null);
    }

    /** Counts a notification that was not delivered; logged at debug only, since anyone may send them by the thousand. */
    private void reject(EnvelopeSeal.Verdict verdict) {
        metrics.relayed("rejected");
        metrics.relayRejected(verdict.label());
        LOG.debugf("Dropped a notification on the events channel: %s", verdict.label());
    }
}

package dev.pulse.gateway.cluster;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.events.EventPublisher;
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
 * Why the HMAC: any role that can log in to the database can NOTIFY any channel. Envelopes are signed with a key
 * derived from {@code pulse.cluster.secret} or, by default, from the gateway role's credentials, which every replica
 * has and which already grant as much as a forged event would.
 */
@ApplicationScoped
public class EventRelay {

    private static final Logger LOG = Logger.getLogger(EventRelay.class);

    private static final String STORE = "INSERT INTO pulse_relay_events (payload) VALUES ($1) RETURNING id";
    private static final String LOAD = "SELECT payload FROM pulse_relay_events WHERE id = $1";
    private static final String CLEANUP = "DELETE FROM pulse_relay_events WHERE created_at < now() - interval '5 minutes'";

    private final PostgresBus bus;
    private final Pool pool;
    private final EventPublisher publisher;
    private final GatewayMetrics metrics;
    private final ObjectMapper mapper;
    private final PulseConfig.Cluster config;
    private final String replica = UUID.randomUUID().toString();
    private SecretKeySpec key;

    /** An event ready to relay: its envelope as sent, and what the local delivery needs. */
    public record Envelope(String payload, String tenant, String eventType, ObjectNode data, String source,
            String room, Instant timestamp) {

        boolean fitsNotify() {
            return payload.getBytes(StandardCharsets.UTF_8).length <= PostgresBus.MAX_PAYLOAD_BYTES;
        }
    }

    public EventRelay(PostgresBus bus, Pool pool, EventPublisher publisher, GatewayMetrics metrics,
            ObjectMapper mapper, PulseConfig config) {
        this.bus = bus;
        this.pool = pool;
        this.publisher = publisher;
        this.metrics = metrics;
        this.mapper = mapper;
        this.config = config.cluster();
    }

    @PostConstruct
    void init() {
        var settings = ConfigProvider.getConfig();
        String secret = config.secret().orElseGet(() -> "pulse-cluster:"
                + settings.getOptionalValue("quarkus.datasource.username", String.class).orElse("") + ":"
                + settings.getOptionalValue("quarkus.datasource.password", String.class).orElse(""));
        try {
            byte[] derived = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            key = new SecretKeySpec(derived, "HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Before {@link PostgresBus} connects (a lower priority runs first). */
    void register(@Observes @Priority(Interceptor.Priority.APPLICATION) StartupEvent started) {
        bus.listen(PostgresBus.EVENTS_CHANNEL, this::received, () -> { });
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
        String text = body.toString();
        ObjectNode signed = mapper.createObjectNode();
        signed.put("sig", sign(text));
        signed.put("body", text);
        return new Envelope(signed.toString(), tenant, eventType, data, source, room, now);
    }

    /**
     * NOTIFYs the envelope, or, when it is too large for a NOTIFY payload, stores it in {@code pulse_relay_events}
     * and NOTIFYs its id. Fails (and counts) when PostgreSQL cannot be reached.
     */
    public Uni<Void> send(Envelope envelope) {
        Uni<Void> sent = envelope.fitsNotify() ? bus.notify(PostgresBus.EVENTS_CHANNEL, envelope.payload())
                : pool.preparedQuery(STORE).execute(Tuple.of(envelope.payload()))
                        .map(rows -> rows.iterator().next().getLong("id"))
                        .chain(id -> bus.notify(PostgresBus.EVENTS_CHANNEL, "{\"ref\":" + id + "}"));
        return sent
                .invoke(() -> metrics.relayed("sent"))
                .onFailure().invoke(failure -> {
                    metrics.relayed("failed");
                    LOG.warnf("Event %s of tenant %s not relayed to the other replicas: %s", envelope.eventType(),
                            envelope.tenant(), failure.getMessage());
                });
    }

    /** A notification on the events channel: an envelope, or the id of one stored in the table. */
    void received(String notification) {
        JsonNode outer = parse(notification);
        if (outer == null || !outer.path("ref").isIntegralNumber()) {
            deliver(outer);
            return;
        }
        pool.preparedQuery(LOAD).execute(Tuple.of(outer.path("ref").asLong())).subscribe().with(rows -> {
            if (rows.iterator().hasNext()) {
                deliver(parse(rows.iterator().next().getString("payload")));
            } else {
                metrics.relayed("rejected");
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

    /**
     * Delivers an event from another replica to this replica's clients, if Pulse signed it. Every replica hears its
     * own envelopes too: those are dropped before the HMAC is computed, since there is nothing to deliver.
     */
    private void deliver(JsonNode signed) {
        String text = signed == null ? "" : signed.path("body").asText("");
        JsonNode event = parse(text);
        if (event != null && replica.equals(event.path("origin").asText())) {
            return;
        }
        if (event == null || !MessageDigest.isEqual(sign(text).getBytes(StandardCharsets.US_ASCII),
                signed.path("sig").asText("").getBytes(StandardCharsets.US_ASCII))) {
            metrics.relayed("rejected");
            LOG.warn("Dropped a notification on the events channel that Pulse did not sign");
            return;
        }
        String tenant = event.path("tenant").asText(null);
        String eventType = event.path("event_type").asText(null);
        String room = event.hasNonNull("room") ? event.path("room").asText() : null;
        if (tenant == null || !EventTypes.isValid(eventType) || (room != null && !Identifiers.isValidRoom(room))
                || !event.path("data").isObject()) {
            metrics.relayed("rejected");
            return;
        }
        Instant timestamp = Timestamps.parse(event.path("timestamp").asText()).orElseGet(Instant::now);
        metrics.relayed("received");
        publisher.publish(tenant, eventType, (ObjectNode) event.get("data"), event.path("source").asText(), room,
                timestamp);
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

    private String sign(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(text.getBytes(
                    StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}

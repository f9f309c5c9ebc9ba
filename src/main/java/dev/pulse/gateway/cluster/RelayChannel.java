package dev.pulse.gateway.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * One PostgreSQL channel between the replicas, sealed and batched. What is sent on it are JSON items (an event, a
 * tenant's poll result); what arrives is handed over item by item, once each, after the seal check.
 *
 * <p>
 * <b>Batching.</b> One NOTIFY is in flight per channel at a time; items sent meanwhile wait and go together in the
 * next one, as {@code {"origin", "items": [...]}}, as many as fit the 8000-byte payload. Idle, an item goes at once
 * (no timer, no added latency); under load, the batches grow by themselves, and each costs one NOTIFY, one HMAC to
 * seal and one to check on every other replica, instead of one per item. One in flight also keeps a replica's
 * items in the order it sent them (except items too large for a NOTIFY, which receivers read from the table, so they
 * may arrive after later small ones). Nothing waits forever: a NOTIFY that takes longer than {@link #MAX_WAIT} fails
 * its batch, items that waited that long are failed instead of sent, and with {@link #MAX_QUEUED_ITEMS} waiting, new
 * ones fail at once. A batch of one is sent as the item itself plus its {@code origin}, the format
 * replicas used before batching, so replicas of both versions understand each other's single items during a rolling
 * upgrade.
 *
 * <p>
 * <b>Large items.</b> An item that does not fit a NOTIFY by itself is stored in {@code pulse_relay_events} and a sealed
 * reference to its row is notified. Rows are deleted after five minutes ({@link EventRelay}).
 *
 * <p>
 * Every replica hears its own notifications too: those are dropped before the HMAC is computed. Rejected
 * notifications are counted by reason by the caller's {@link Outcomes}.
 */
final class RelayChannel {

    private static final Logger LOG = Logger.getLogger(RelayChannel.class);
    private static final String STORE = "INSERT INTO pulse_relay_events (payload) VALUES ($1) RETURNING id";
    private static final String LOAD = "SELECT payload FROM pulse_relay_events WHERE id = $1";
    /**
     * What a batch's items may add up to before sealing: the body is escaped once more inside the envelope (quotes
     * double) and the envelope adds a signature, an id and a time. A batch that still comes out too large is stored.
     */
    private static final int BATCH_BUDGET_BYTES = 5000;
    /** Items per NOTIFY at most, so a burst of tiny items cannot make one batch's delivery long. */
    private static final int MAX_BATCH_ITEMS = 256;
    /**
     * Items waiting at most; past it, sending fails at once (an event is refused with 503) instead of piling up in
     * memory behind a database that does not answer.
     */
    static final int MAX_QUEUED_ITEMS = 10_000;
    /**
     * How long an item may wait for its NOTIFY, and a NOTIFY (or a store) may take: the publisher of an event has
     * been answered 503 by then (it may retry), so the item must not be relayed after all.
     */
    static final Duration MAX_WAIT = Duration.ofSeconds(5);

    /** What happened to items, for the caller's metrics. */
    interface Outcomes {
        /** {@code sent}, {@code failed}, {@code received} or {@code lost}, for this many items. */
        void items(String outcome, int count);

        /** A NOTIFY this replica sent, carrying this many items. */
        void notified(int items);

        /** A notification rejected by the seal check (or malformed). */
        void rejected(EnvelopeSeal.Verdict verdict);
    }

    private record Pending(ObjectNode item, int bytes, UniEmitter<? super Void> sent, long queuedAt) {
    }

    private final String channel;
    private final PostgresBus bus;
    private final Pool pool;
    private final ObjectMapper mapper;
    private final String replica;
    private final EnvelopeSeal seal;
    private final Outcomes outcomes;
    private final Consumer<JsonNode> receiver;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private boolean sending;

    RelayChannel(String channel, PostgresBus bus, Pool pool, ObjectMapper mapper, String replica, EnvelopeSeal seal,
            Outcomes outcomes, Consumer<JsonNode> receiver) {
        this.channel = channel;
        this.bus = bus;
        this.pool = pool;
        this.mapper = mapper;
        this.replica = replica;
        this.seal = seal;
        this.outcomes = outcomes;
        this.receiver = receiver;
    }

    /**
     * Sends {@code item} to the other replicas, in the next NOTIFY. Completes when that NOTIFY did; fails when
     * PostgreSQL could not be reached (then no other replica got it).
     */
    Uni<Void> send(ObjectNode item) {
        int bytes = item.toString().getBytes(StandardCharsets.UTF_8).length;
        return Uni.createFrom().emitter(emitter -> {
            boolean start;
            synchronized (queue) {
                if (queue.size() >= MAX_QUEUED_ITEMS) {
                    outcomes.items("failed", 1);
                    emitter.fail(new IllegalStateException("the relay to the other replicas is " + MAX_QUEUED_ITEMS
                            + " items behind"));
                    return;
                }
                queue.add(new Pending(item, bytes, emitter, System.nanoTime()));
                start = !sending;
                sending = true;
            }
            if (start) {
                sendNextBatch();
            }
        });
    }

    /** Sends what is queued, in one NOTIFY; when it completes, sends what queued up meanwhile. */
    private void sendNextBatch() {
        List<Pending> batch = new ArrayList<>();
        List<Pending> expired = new ArrayList<>();
        long tooOld = System.nanoTime() - MAX_WAIT.toNanos();
        synchronized (queue) {
            while (!queue.isEmpty() && queue.peek().queuedAt() < tooOld) {
                expired.add(queue.poll());
            }
            int bytes = 0;
            while (!queue.isEmpty() && batch.size() < MAX_BATCH_ITEMS
                    && (batch.isEmpty() || bytes + queue.peek().bytes() <= BATCH_BUDGET_BYTES)) {
                Pending next = queue.poll();
                bytes += next.bytes();
                batch.add(next);
            }
            if (batch.isEmpty()) {
                sending = false;
            }
        }
        if (!expired.isEmpty()) {
            outcomes.items("failed", expired.size());
            expired.forEach(pending -> pending.sent().fail(new IllegalStateException(
                    "not relayed within " + MAX_WAIT.toSeconds() + " s")));
        }
        if (batch.isEmpty()) {
            return;
        }
        String payload;
        try {
            payload = seal.seal(body(batch));
        } catch (RuntimeException e) {
            finish(batch, e);
            return;
        }
        Uni<Void> sent = payload.getBytes(StandardCharsets.UTF_8).length <= PostgresBus.MAX_PAYLOAD_BYTES
                ? bus.notify(channel, payload)
                : pool.preparedQuery(STORE).execute(Tuple.of(payload))
                        .map(rows -> rows.iterator().next().getLong("id"))
                        .chain(id -> bus.notify(channel, reference(id)));
        sent.ifNoItem().after(MAX_WAIT).fail()
                .subscribe().with(done -> finish(batch, null), failure -> finish(batch, failure));
    }

    private void finish(List<Pending> batch, Throwable failure) {
        if (failure == null) {
            outcomes.items("sent", batch.size());
            outcomes.notified(batch.size());
            batch.forEach(pending -> pending.sent().complete(null));
        } else {
            outcomes.items("failed", batch.size());
            batch.forEach(pending -> pending.sent().fail(failure));
        }
        sendNextBatch();
    }

    private ObjectNode body(List<Pending> batch) {
        if (batch.size() == 1) {
            ObjectNode single = mapper.createObjectNode();
            single.put("origin", replica);
            single.put("channel", channel);
            single.setAll(batch.get(0).item());
            return single;
        }
        ObjectNode body = mapper.createObjectNode();
        body.put("origin", replica);
        body.put("channel", channel);
        ArrayNode items = body.putArray("items");
        batch.forEach(pending -> items.add(pending.item()));
        return body;
    }

    /**
     * A sealed reference to an envelope stored in the relay table: an envelope of its own (id, sending time,
     * signature), so a replayed or forged reference is rejected before it costs a database read.
     */
    private String reference(long storedId) {
        ObjectNode body = mapper.createObjectNode();
        body.put("origin", replica);
        body.put("channel", channel);
        body.put("ref", storedId);
        return seal.seal(body);
    }

    /**
     * A notification on the channel: a sealed item or batch, or a sealed reference to one stored in the table. This
     * replica's own are dropped before the HMAC is computed (a forger who copies this replica's origin only gets its
     * notification ignored).
     */
    void received(String notification) {
        JsonNode outer = parse(notification);
        String text = EnvelopeSeal.bodyText(outer);
        if (!text.isEmpty() && text.contains(replica) && replica.equals(originOf(text))) {
            return;
        }
        EnvelopeSeal.Opened opened = seal.open(outer);
        if (opened.verdict() != EnvelopeSeal.Verdict.ACCEPTED) {
            outcomes.rejected(opened.verdict());
            return;
        }
        if (!meantForThisChannel(opened.body())) {
            outcomes.rejected(EnvelopeSeal.Verdict.MALFORMED);
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
            if (stored.verdict() == EnvelopeSeal.Verdict.ACCEPTED && !stored.body().has("ref")
                    && meantForThisChannel(stored.body())) {
                deliver(stored.body());
            } else {
                outcomes.rejected(stored.verdict() == EnvelopeSeal.Verdict.ACCEPTED ? EnvelopeSeal.Verdict.MALFORMED
                        : stored.verdict());
            }
        }, failure -> {
            outcomes.items("lost", 1);
            LOG.warnf("A relayed message on %s could not be read from PostgreSQL: %s", channel, failure.getMessage());
        });
    }

    /**
     * Whether a sealed body was sent on this channel: the channel is signed with the rest, so a body captured on one
     * channel and notified on another is rejected. Bodies without it are accepted on the events channel only, where
     * replicas from before batching send them.
     */
    private boolean meantForThisChannel(JsonNode body) {
        return body.has("channel") ? channel.equals(body.path("channel").asText())
                : PostgresBus.EVENTS_CHANNEL.equals(channel);
    }

    /** Hands over each item of an accepted batch, or the accepted single item. */
    private void deliver(JsonNode body) {
        JsonNode items = body.path("items");
        if (!items.isArray()) {
            receiver.accept(body);
            return;
        }
        for (JsonNode item : items) {
            if (item.isObject()) {
                receiver.accept(item);
            } else {
                outcomes.rejected(EnvelopeSeal.Verdict.MALFORMED);
            }
        }
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
}

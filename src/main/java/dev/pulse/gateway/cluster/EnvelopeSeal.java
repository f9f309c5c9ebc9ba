package dev.pulse.gateway.cluster;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongSupplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Seals what replicas tell each other over PostgreSQL, and checks what they hear. Any role that can log in to the
 * database can NOTIFY and LISTEN on any channel, so a notification proves nothing by itself:
 * <ul>
 * <li>every envelope carries a unique {@code id} and its sending time {@code sent_at} inside the signed body, and an
 * HMAC-SHA256 over that body with the cluster secret (never derived from database credentials, which a listener could
 * guess offline from the envelopes it sees);</li>
 * <li>an envelope is accepted once: a valid signature, sent within {@code maxAge} of this replica's clock (either
 * way), and an id not seen before (ids are remembered for as long as their envelope could still pass the age check,
 * at most {@code replayCacheSize} of them);</li>
 * <li>a reference to an envelope stored in the relay table is an envelope of its own (its body names the stored row), so
 * a forged or replayed reference is rejected before it costs a database read.</li>
 * </ul>
 * Pure logic: time comes from the caller's clock, so it is tested without Quarkus.
 */
public final class EnvelopeSeal {

    /** What the check of a notification found. */
    public enum Verdict {
        ACCEPTED("accepted"),
        /** Not an envelope at all, or one without a signature. */
        UNSIGNED("unsigned"),
        /** A signature that does not match: another key, or a changed body. */
        FORGED("forged"),
        /** Signed, but sent longer than the maximum age ago (or that far in the future). */
        STALE("stale"),
        /** Signed and fresh, but its id was accepted before. */
        REPLAYED("replayed"),
        /** Signed, but without a usable id or sending time. */
        MALFORMED("malformed");

        private final String label;

        Verdict(String label) {
            this.label = label;
        }

        /** The {@code reason} label of {@code pulse_cluster_rejected_total}. */
        public String label() {
            return label;
        }
    }

    /** An opened envelope: the verdict and, when accepted, the signed body. */
    public record Opened(Verdict verdict, JsonNode body) {
        public static Opened rejected(Verdict verdict) {
            return new Opened(verdict, null);
        }
    }

    private final SecretKeySpec key;
    private final ObjectMapper mapper;
    private final long maxAgeMillis;
    private final int replayCacheSize;
    private final LongSupplier clockMillis;
    /** Accepted ids and when they may be forgotten (their envelope is stale by then), in acceptance order. */
    private final LinkedHashMap<String, Long> seen = new LinkedHashMap<>();

    public EnvelopeSeal(String secret, Duration maxAge, int replayCacheSize, ObjectMapper mapper,
            LongSupplier clockMillis) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("the cluster secret is empty");
        }
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
        this.mapper = mapper;
        this.maxAgeMillis = Math.max(1, maxAge.toMillis());
        this.replayCacheSize = Math.max(1, replayCacheSize);
        this.clockMillis = clockMillis;
    }

    /** Adds a fresh id and the sending time to {@code body} and returns the signed envelope. */
    public String seal(ObjectNode body) {
        body.put("id", UUID.randomUUID().toString());
        body.put("sent_at", clockMillis.getAsLong());
        String text = body.toString();
        ObjectNode envelope = mapper.createObjectNode();
        envelope.put("sig", sign(text));
        envelope.put("body", text);
        return envelope.toString();
    }

    /**
     * The signed body of an envelope, as text, without checking anything: lets a replica recognise (and skip) its
     * own envelopes before paying for the HMAC.
     */
    public static String bodyText(JsonNode envelope) {
        return envelope == null ? "" : envelope.path("body").asText("");
    }

    /** Checks an envelope and, when it passes, remembers its id so that it never passes again. */
    public Opened open(JsonNode envelope) {
        String text = bodyText(envelope);
        String signature = envelope == null ? "" : envelope.path("sig").asText("");
        if (text.isEmpty() || signature.isEmpty()) {
            return Opened.rejected(Verdict.UNSIGNED);
        }
        if (!matches(text, signature)) {
            return Opened.rejected(Verdict.FORGED);
        }
        JsonNode body;
        try {
            body = mapper.readTree(text);
        } catch (JsonProcessingException e) {
            return Opened.rejected(Verdict.MALFORMED);
        }
        String id = body == null ? "" : body.path("id").asText("");
        if (id.isEmpty() || id.length() > 64 || !body.path("sent_at").isIntegralNumber()) {
            return Opened.rejected(Verdict.MALFORMED);
        }
        long now = clockMillis.getAsLong();
        long sentAt = body.path("sent_at").asLong();
        if (Math.abs(now - sentAt) > maxAgeMillis) {
            return Opened.rejected(Verdict.STALE);
        }
        return firstTime(id, sentAt + maxAgeMillis, now) ? new Opened(Verdict.ACCEPTED, body)
                : Opened.rejected(Verdict.REPLAYED);
    }

    /** Ids remembered now (bounded by the replay cache size). */
    public synchronized int remembered() {
        return seen.size();
    }

    private synchronized boolean firstTime(String id, long forgetAt, long now) {
        for (Iterator<Map.Entry<String, Long>> oldest = seen.entrySet().iterator(); oldest.hasNext();) {
            if (oldest.next().getValue() >= now) {
                break;
            }
            oldest.remove();
        }
        if (seen.containsKey(id)) {
            return false;
        }
        seen.put(id, forgetAt);
        while (seen.size() > replayCacheSize) {
            seen.remove(seen.keySet().iterator().next());
        }
        return true;
    }

    private boolean matches(String text, String signature) {
        return MessageDigest.isEqual(sign(text).getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII));
    }

    private String sign(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}

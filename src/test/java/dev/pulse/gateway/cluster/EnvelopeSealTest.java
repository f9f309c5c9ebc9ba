package dev.pulse.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.pulse.gateway.cluster.EnvelopeSeal.Verdict;

/** The seal on relayed envelopes, without Quarkus: signature, age, replay, and the replay cache bound. */
class EnvelopeSealTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "a-cluster-secret-of-at-least-32-bytes!!";

    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final EnvelopeSeal seal = new EnvelopeSeal(SECRET, Duration.ofSeconds(30), 3, JSON, clock::get);

    @Test
    void aSealedEnvelopeOpensOnceAndItsReplayIsRejected() throws Exception {
        JsonNode envelope = JSON.readTree(seal.seal(body("x")));
        EnvelopeSeal.Opened opened = seal.open(envelope);
        assertThat(opened.verdict()).isEqualTo(Verdict.ACCEPTED);
        assertThat(opened.body().path("data").path("v").asText()).isEqualTo("x");
        assertThat(opened.body().path("id").asText()).isNotEmpty();
        assertThat(seal.open(envelope).verdict()).isEqualTo(Verdict.REPLAYED);
    }

    @Test
    void staleFutureUnsignedForgedAndTamperedEnvelopesAreRejected() throws Exception {
        JsonNode old = JSON.readTree(seal.seal(body("old")));
        clock.addAndGet(30_001);
        assertThat(seal.open(old).verdict()).isEqualTo(Verdict.STALE);
        EnvelopeSeal ahead = new EnvelopeSeal(SECRET, Duration.ofSeconds(30), 3, JSON, () -> clock.get() + 31_000);
        assertThat(seal.open(JSON.readTree(ahead.seal(body("future")))).verdict()).isEqualTo(Verdict.STALE);

        ObjectNode unsigned = JSON.createObjectNode().put("body", body("u").toString());
        assertThat(seal.open(unsigned).verdict()).isEqualTo(Verdict.UNSIGNED);
        assertThat(seal.open(null).verdict()).isEqualTo(Verdict.UNSIGNED);

        EnvelopeSeal other = new EnvelopeSeal("another-secret-of-at-least-32-bytes!!", Duration.ofSeconds(30), 3, JSON,
                clock::get);
        assertThat(seal.open(JSON.readTree(other.seal(body("f")))).verdict()).isEqualTo(Verdict.FORGED);

        ObjectNode tampered = (ObjectNode) JSON.readTree(seal.seal(body("t")));
        tampered.put("body", tampered.path("body").asText().replace("\"t\"", "\"T\""));
        assertThat(seal.open(tampered).verdict()).isEqualTo(Verdict.FORGED);
    }

    @Test
    void theReplayCacheIsBoundedAndForgetsIdsOnceTheirEnvelopesAreStale() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(seal.open(JSON.readTree(seal.seal(body("n" + i)))).verdict()).isEqualTo(Verdict.ACCEPTED);
        }
        assertThat(seal.remembered()).isEqualTo(3);
        clock.addAndGet(30_001);
        seal.open(JSON.readTree(seal.seal(body("later"))));
        assertThat(seal.remembered()).isEqualTo(1);
    }

    private static ObjectNode body(String value) {
        ObjectNode body = JSON.createObjectNode().put("tenant", "t");
        body.putObject("data").put("v", value);
        return body;
    }
}

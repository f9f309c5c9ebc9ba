package dev.pulse.gateway.sources;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** First reads without Quarkus: served from a fresh reading, otherwise one read per tenant per window. */
class FirstReadsTest {

    private final AtomicLong clock = new AtomicLong();
    private final List<Runnable> scheduled = new ArrayList<>();
    private final List<String> reads = new ArrayList<>();
    private final FirstReads<String> firstReads = new FirstReads<>(Duration.ofSeconds(5), Duration.ofMillis(100),
            (delay, flush) -> scheduled.add(flush), (tenant, keys) -> reads.add(tenant + ":" + Set.copyOf(keys)),
            clock::get);

    @Test
    void requestsOfOneTenantWithinAWindowBecomeOneRead() {
        firstReads.request("t1", "a");
        firstReads.request("t1", "b");
        firstReads.request("t1", "a");
        firstReads.request("t2", "a");
        assertThat(scheduled).hasSize(2);
        scheduled.forEach(Runnable::run);
        assertThat(reads).containsExactlyInAnyOrder("t1:" + Set.of("a", "b"), "t2:" + Set.of("a"));

        // A later request starts a new window.
        firstReads.request("t1", "c");
        assertThat(scheduled).hasSize(3);
    }

    @Test
    void aReadingIsFreshForOneIntervalAndRemembersNothingFoundToo() {
        firstReads.record("t", "a", "point");
        firstReads.record("t", "b", null);
        clock.addAndGet(Duration.ofSeconds(4).toNanos());
        assertThat(firstReads.fresh("t", "a").value()).isEqualTo("point");
        assertThat(firstReads.fresh("t", "b")).isNotNull();
        assertThat(firstReads.fresh("t", "b").value()).isNull();
        assertThat(firstReads.fresh("other", "a")).isNull();
        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(firstReads.fresh("t", "a")).isNull();
        firstReads.expire();
        assertThat(firstReads.size()).isZero();
    }

    @Test
    void aNotifiedChangeForgetsTheTenantsReadings() {
        firstReads.record("t", "alerts", "list");
        firstReads.forget("t");
        assertThat(firstReads.fresh("t", "alerts")).isNull();
    }
}

package dev.pulse.gateway.observability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Scrape;
import io.quarkus.test.junit.QuarkusTest;

/** Every gauge keeps its value across garbage collections in the test JVM too ({@link GaugesIT} for the jar). */
@QuarkusTest
class GaugesTest {

    @Test
    void noPulseSampleIsNaNAfterGarbageCollections() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        String scrape = Scrape.now().text();
        assertThat(scrape).contains("pulse_cluster_listening");
        assertThat(GaugesIT.nanSamples(scrape)).isEmpty();
    }
}

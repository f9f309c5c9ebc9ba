package dev.pulse.gateway.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * Every gauge always has a value: after garbage collections of the packaged application ({@code jcmd <pid> GC.run};
 * Micrometer holds a gauge's state weakly, so a state object nobody else holds is collected), no {@code pulse_*}
 * sample on {@code /q/metrics} reads NaN. (The native executable has no attach API to force a collection: there the
 * scrape is checked as it is.)
 */
class GaugesIT {

    @Test
    void noPulseSampleIsNaNAfterGarbageCollections() throws Exception {
        try (PackagedPulse pulse = PackagedPulse.startPackaged("gauges-it", Map.of());
                WsClient client = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(Tokens.newTenant())))) {
            client.send(Frames.ping()).awaitType("pong");
            assertThat(nanSamples(pulse.body("/q/metrics"))).isEmpty();
            if (!PackagedPulse.isNative()) {
                String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
                for (int i = 0; i < 3; i++) {
                    Process gc = new ProcessBuilder(jcmd, Long.toString(pulse.pid()), "GC.run")
                            .redirectErrorStream(true).start();
                    assertThat(gc.waitFor()).as(new String(gc.getInputStream().readAllBytes())).isZero();
                }
            }
            String scrape = pulse.body("/q/metrics");
            assertThat(scrape).contains("pulse_cluster_listening", "pulse_connections_active");
            assertThat(nanSamples(scrape)).isEmpty();
        }
    }

    /** The {@code pulse_*} samples whose value is NaN. */
    static List<String> nanSamples(String scrape) {
        return Arrays.stream(scrape.split("\n")).filter(line -> line.startsWith("pulse_") && line.endsWith(" NaN"))
                .toList();
    }
}

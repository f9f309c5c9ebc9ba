package dev.pulse.gateway.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.LocalStack;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * Measures alert change to client push through the NOTIFY path on the packaged application: the alert poll runs
 * every ten minutes, so every push measured came from the trigger. Latency is from the INSERT's commit (the JDBC call
 * returning) to the client holding the new list. Figures go to {@code target/alert-latency-*.txt} and the README; the
 * only assertion is that every change arrived.
 */
class AlertLatencyIT {

    private static final int WARM_UP = 20;
    private static final int SAMPLES = 200;

    @Test
    void alertChangeToClientPush() throws IOException {
        String artifact = Boolean.getBoolean("pulse.it.native") ? "native" : "jvm";
        try (PackagedPulse pulse = PackagedPulse.startPackaged("alert-latency-" + artifact,
                Map.of("PULSE_ALERTS_POLL_INTERVAL", "10m"))) {
            String tenant = Tokens.newTenant();
            try (WsClient client = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant)))) {
                client.send(Frames.subscribeAlerts()).awaitType("subscribed");
                client.awaitType("alerts");
                List<Double> millis = new ArrayList<>();
                for (int i = 0; i < WARM_UP + SAMPLES; i++) {
                    long id = Stack.insertAlert(tenant, "dev-" + i, "HIGH_TEMP", "OPEN", "sample " + i);
                    long committed = System.nanoTime();
                    client.await(m -> "alerts".equals(m.path("type").asText()) && m.path("alerts").get(0)
                            .path("id").asLong() == id, Duration.ofSeconds(5));
                    if (i >= WARM_UP) {
                        millis.add((System.nanoTime() - committed) / 1e6);
                    }
                    // The list is capped at 100 open alerts; close this one so every sample reads a similar list.
                    Stack.updateAlertStatus(id, "CLOSED");
                    client.await(m -> "alerts".equals(m.path("type").asText()) && m.path("alerts").findValues("id")
                            .stream().noneMatch(v -> v.asLong() == id), Duration.ofSeconds(5));
                }
                Collections.sort(millis);
                String figures = String.format("artifact=%s samples=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f%n",
                        artifact, millis.size(), percentile(millis, 50), percentile(millis, 90),
                        percentile(millis, 99), millis.get(millis.size() - 1));
                System.out.print("ALERT-LATENCY " + figures);
                Files.writeString(LocalStack.projectRoot().resolve("target/alert-latency-" + artifact + ".txt"),
                        figures);
                assertThat(millis).hasSize(SAMPLES);
            }
        }
    }

    private static double percentile(List<Double> sorted, int percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}

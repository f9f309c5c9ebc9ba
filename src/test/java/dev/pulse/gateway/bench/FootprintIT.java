package dev.pulse.gateway.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.LocalStack;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * Records the footprint of the packaged application (the JVM jar, or the native executable with {@code -Pnative}):
 * time from launch to the first served request, resident memory idle, and with 1,000 open connections that each
 * watch a device. It asserts only that all of them are served; the figures go to {@code target/footprint-*.txt}
 * and the README. A measurement, not a timed test.
 */
class FootprintIT {

    private static final int CONNECTIONS = 1000;

    @Test
    void startupAndMemoryIdleAndWithAThousandConnections() throws IOException {
        String artifact = Boolean.getBoolean("pulse.it.native") ? "native" : "jvm";
        // The connect-rate guard would (rightly) turn part of a 1,000-connection burst away.
        try (PackagedPulse pulse = PackagedPulse.startPackaged("footprint-" + artifact,
                Map.of("PULSE_LIMITS_CONNECTS_PER_SECOND", "0"))) {
            Duration startup = pulse.startup();
            long idle = settledResidentKib(pulse);

            List<WsClient> clients = new ArrayList<>();
            try {
                String tenant = Tokens.newTenant();
                for (int i = 0; i < CONNECTIONS; i++) {
                    clients.add(WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant))));
                }
                for (int i = 0; i < CONNECTIONS; i++) {
                    clients.get(i).send("{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"dev-" + (i % 100)
                            + "\"}").awaitType("subscribed");
                }
                long loaded = settledResidentKib(pulse);
                String figures = String.format("artifact=%s startup_ms=%d rss_idle_mib=%.1f rss_%d_connections_mib=%.1f"
                        + " per_connection_kib=%.1f%n", artifact, startup.toMillis(), idle / 1024.0, CONNECTIONS,
                        loaded / 1024.0, (loaded - idle) / (double) CONNECTIONS);
                System.out.print("FOOTPRINT " + figures);
                Files.writeString(LocalStack.projectRoot().resolve("target/footprint-" + artifact + ".txt"), figures);
                assertThat(clients).noneMatch(WsClient::isClosedByServer);
            } finally {
                clients.forEach(WsClient::close);
            }
        }
    }

    /** RSS once two reads half a second apart differ by less than 1 % (or the last read after five seconds). */
    private static long settledResidentKib(PackagedPulse pulse) {
        AtomicLong previous = new AtomicLong(pulse.residentKib());
        try {
            Awaitility.await().pollDelay(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(5)).until(() -> {
                        long now = pulse.residentKib();
                        return Math.abs(now - previous.getAndSet(now)) < now / 100;
                    });
        } catch (ConditionTimeoutException stillMoving) {
            // Report the last reading; the figure is a measurement, not a pass/fail threshold.
        }
        return previous.get();
    }
}

package dev.pulse.gateway.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Management;
import io.quarkus.scheduler.Scheduler;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A poller that stops running (here: its trigger paused, as a hung cycle would hold it) turns readiness DOWN after
 * {@code pulse.sources.stale-after}, with the databases healthy; it is UP again once the poller runs. Liveness stays
 * UP throughout.
 */
@QuarkusTest
@TestProfile(PollersReadinessTest.ShortStaleness.class)
class PollersReadinessTest {

    public static class ShortStaleness implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pulse.sources.stale-after", "3s");
        }
    }

    @Inject
    Scheduler scheduler;

    @AfterEach
    void resume() {
        scheduler.resume("telemetry-poller");
    }

    @Test
    void aPollerThatStopsRunningTakesTheReplicaOutOfRotation() {
        Awaitility.await().until(() -> Management.get("/q/health/ready").statusCode() == 200);

        scheduler.pause("telemetry-poller");
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> "DOWN".equals(check("pollers")));
        Management.get("/q/health/ready").then().statusCode(503);
        assertThat(check("event-loops")).isEqualTo("UP");
        // The databases are not part of readiness; they are healthy in their own group.
        assertThat(check("influxdb")).isEqualTo("MISSING");
        Management.get("/q/health/group/sources").then().statusCode(200);
        Management.get("/q/health/live").then().statusCode(200);

        scheduler.resume("telemetry-poller");
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> Management.get("/q/health/ready").statusCode() == 200);
    }

    private static String check(String name) {
        List<Map<String, Object>> checks = Management.get("/q/health/ready").jsonPath().getList("checks");
        return checks.stream().filter(c -> name.equals(c.get("name"))).map(c -> String.valueOf(c.get("status")))
                .findFirst().orElse("MISSING");
    }
}

package dev.pulse.gateway.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The simulated fleet behaves like one worth watching: plausible values, and every alert condition comes and goes. */
class DemoFleetTest {

    @Test
    void readingsStayPlausibleAndEveryConditionComesAndGoesWithinAnHour() {
        DemoFleet fleet = new DemoFleet(20, 42);
        assertThat(fleet.devices()).extracting(DemoFleet.Device::id).startsWith("dev-01", "dev-02").endsWith("dev-20");
        Set<String> seen = new HashSet<>();
        Set<String> recovered = new HashSet<>();
        for (int second = 0; second < 3600; second++) {
            fleet.tick();
            for (DemoFleet.Device device : fleet.devices()) {
                assertThat(device.temperature()).isBetween(5.0, 50.0);
                assertThat(device.humidity()).isBetween(10.0, 95.0);
                assertThat(device.battery()).isBetween(0, 100);
                if (device.temperature() > DemoFleet.TOO_HOT) {
                    seen.add("hot:" + device.id());
                    assertThat(device.status()).isEqualTo("critical");
                } else if (seen.contains("hot:" + device.id()) && device.temperature() < DemoFleet.COOL_AGAIN) {
                    recovered.add("hot:" + device.id());
                }
                if (device.battery() < DemoFleet.LOW_BATTERY) {
                    seen.add("battery");
                }
                if (!device.online()) {
                    seen.add("offline:" + device.id());
                } else if (seen.contains("offline:" + device.id())) {
                    recovered.add("offline:" + device.id());
                }
            }
        }
        assertThat(seen).anyMatch(s -> s.startsWith("hot:")).contains("battery").anyMatch(s -> s.startsWith("offline:"));
        assertThat(recovered).anyMatch(s -> s.startsWith("hot:")).anyMatch(s -> s.startsWith("offline:"));
    }
}

package dev.pulse.gateway.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The simulated devices of demo mode: plausible readings that drift, a heat wave now and then on one device (so a
 * temperature alert opens and later closes), batteries that drain and get recharged, and devices that drop offline
 * for a while. Pure logic: {@link #tick()} advances every device by one second.
 */
public final class DemoFleet {

    /** Above this a device is too hot; below {@link #COOL_AGAIN} it has recovered (hysteresis). */
    public static final double TOO_HOT = 30.0;
    public static final double COOL_AGAIN = 28.0;
    public static final int LOW_BATTERY = 15;

    /** One device's state after a tick. */
    public static final class Device {
        private final String id;
        private final double baseTemperature;
        private double temperature;
        private double humidity;
        private double battery;
        private boolean online = true;
        private int heatWaveSecondsLeft;
        private int offlineSecondsLeft;

        Device(String id, double baseTemperature, double humidity, double battery) {
            this.id = id;
            this.baseTemperature = baseTemperature;
            this.temperature = baseTemperature;
            this.humidity = humidity;
            this.battery = battery;
        }

        public String id() {
            return id;
        }

        public double temperature() {
            return Math.round(temperature * 10) / 10.0;
        }

        public double humidity() {
            return Math.round(humidity * 10) / 10.0;
        }

        public int battery() {
            return (int) Math.round(battery);
        }

        public boolean online() {
            return online;
        }

        /** {@code ok}, {@code warning} (hot or low battery) or {@code critical} (too hot). */
        public String status() {
            if (temperature > TOO_HOT) {
                return "critical";
            }
            return temperature > COOL_AGAIN || battery() < LOW_BATTERY ? "warning" : "ok";
        }
    }

    private final Random random;
    private final List<Device> devices = new ArrayList<>();

    public DemoFleet(int size, long seed) {
        this.random = new Random(seed);
        for (int i = 1; i <= size; i++) {
            devices.add(new Device(String.format("dev-%02d", i), 19 + random.nextDouble() * 6,
                    35 + random.nextDouble() * 25, 40 + random.nextDouble() * 60));
        }
    }

    public List<Device> devices() {
        return devices;
    }

    /** Advances every device by one second. */
    public void tick() {
        for (Device device : devices) {
            if (device.heatWaveSecondsLeft == 0 && random.nextInt(devices.size() * 90) == 0) {
                device.heatWaveSecondsLeft = 40 + random.nextInt(40);
            }
            double target = device.baseTemperature + (device.heatWaveSecondsLeft > 0 ? 12 : 0);
            if (device.heatWaveSecondsLeft > 0) {
                device.heatWaveSecondsLeft--;
            }
            device.temperature += (target - device.temperature) * 0.08 + random.nextGaussian() * 0.15;
            device.humidity = Math.max(10, Math.min(95, device.humidity + random.nextGaussian() * 0.4));
            device.battery = Math.max(0, device.battery - 0.05 - random.nextDouble() * 0.05);
            if (device.battery < 5 && random.nextInt(30) == 0) {
                device.battery = 100; // someone swapped the battery
            }
            if (device.offlineSecondsLeft > 0) {
                device.offlineSecondsLeft--;
                device.online = device.offlineSecondsLeft == 0;
            } else if (random.nextInt(devices.size() * 120) == 0) {
                device.offlineSecondsLeft = 10 + random.nextInt(20);
                device.online = false;
            }
        }
    }
}

package dev.pulse.gateway.telemetry;

import java.util.List;

/** Where the latest telemetry points come from. */
public interface TelemetrySource {

    /**
     * The latest point of each of {@code deviceIds} of {@code tenant}, in one request. Devices with no point are left
     * out. Blocking: never call it on the event loop.
     */
    List<TelemetryPoint> latestPoints(String tenant, List<String> deviceIds) throws TelemetrySourceException;

    /** Whether the source answers at all (for readiness). Blocking. */
    boolean isReachable();
}

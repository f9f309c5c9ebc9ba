package dev.pulse.gateway.telemetry;

import java.time.Instant;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The latest point of one device: its time and the fields it carries, with their JSON types. */
public record TelemetryPoint(String deviceId, Instant time, ObjectNode metrics) {
}

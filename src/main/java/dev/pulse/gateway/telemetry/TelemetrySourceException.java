package dev.pulse.gateway.telemetry;

/** The telemetry source could not answer: unreachable, refused the credentials, or rejected the statement. */
public final class TelemetrySourceException extends Exception {

    public TelemetrySourceException(String message) {
        super(message);
    }

    public TelemetrySourceException(String message, Throwable cause) {
        super(message, cause);
    }
}

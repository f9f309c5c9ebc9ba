package dev.pulse.gateway.protocol;

import java.time.Instant;
import java.time.format.DateTimeFormatter;

/** The one timestamp format on the wire: ISO-8601 in UTC with a {@code Z}, e.g. {@code 2025-01-31T12:00:00.250Z}. */
public final class Timestamps {

    private Timestamps() {
    }

    public static String format(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant);
    }

    /** The instant of an ISO-8601 timestamp, empty when it is not one. */
    public static java.util.Optional<Instant> parse(String text) {
        try {
            return java.util.Optional.of(Instant.parse(text));
        } catch (java.time.format.DateTimeParseException e) {
            return java.util.Optional.empty();
        }
    }
}

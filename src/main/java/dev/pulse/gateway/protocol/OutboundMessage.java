package dev.pulse.gateway.protocol;

import java.time.Instant;

/**
 * A finished server-to-client frame: the text, its size in UTF-8 bytes, its kind (for metrics), for telemetry the
 * device it is about (a slow reader gets only the newest message per key), and, for live pushes, when what it carries
 * happened ({@code originMillis}, epoch milliseconds; 0 for none): the event's publication, the alert change, the
 * telemetry point's time. Delivery measures the delay from there to the write. Built once per message, however many
 * connections it goes to.
 */
public record OutboundMessage(Kind kind, String text, int bytes, String conflationKey, long originMillis) {

    /** What a message is, as the {@code type} label of {@code pulse_messages_sent_total}. */
    public enum Kind {
        TELEMETRY("telemetry"),
        ALERTS("alerts"),
        EVENT("event"),
        STATUS("status"),
        REPLY("reply"),
        ERROR("error");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public static OutboundMessage of(Kind kind, String text) {
        return new OutboundMessage(kind, text, utf8Length(text), null, 0);
    }

    /** A message that a newer one with the same key may replace while the client is behind. */
    public static OutboundMessage conflatable(Kind kind, String text, String key) {
        return new OutboundMessage(kind, text, utf8Length(text), key, 0);
    }

    /** This message, marked as carrying something that happened at {@code origin}. */
    public OutboundMessage withOrigin(Instant origin) {
        return new OutboundMessage(kind, text, bytes, conflationKey, Math.max(1, origin.toEpochMilli()));
    }

    /**
     * This message without an origin: a snapshot (the current state sent to a new subscriber) says nothing about how
     * fast changes travel, so it is not measured.
     */
    public OutboundMessage withoutOrigin() {
        return originMillis == 0 ? this : new OutboundMessage(kind, text, bytes, conflationKey, 0);
    }

    private static int utf8Length(String text) {
        int bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}

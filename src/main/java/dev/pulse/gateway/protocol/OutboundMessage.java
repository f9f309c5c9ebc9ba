package dev.pulse.gateway.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A finished server-to-client frame: the text, its size in UTF-8 bytes, its kind (for metrics), for telemetry the
 * device it is about (a slow reader gets only the newest message per key), and, for live pushes, when what it carries
 * happened ({@code originMillis}, epoch milliseconds; 0 for none): the event's publication, the alert change, the
 * telemetry point's time. Delivery measures the delay from there to the write. Built once per message, however many
 * connections it goes to.
 *
 * <p>{@link #wire()} is the complete WebSocket frame, encoded once on first use and shared by every recipient: a
 * fan-out to a thousand connections encodes the JSON once, builds one frame, and writes a thousand duplicates of the
 * same bytes.
 */
public final class OutboundMessage {

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

    private final Kind kind;
    private final String text;
    private final int bytes;
    private final String conflationKey;
    private final long originMillis;
    /**
     * Shared with the copies {@link #withOrigin} and {@link #withoutOrigin} make, which carry the same text: a
     * snapshot sent to each new subscriber is a copy, and must not encode the frame again for every one.
     */
    private final Wire wire;

    /** The frame bytes, built on first use; a race builds them twice, harmlessly (both are the same bytes). */
    private static final class Wire {
        private volatile ByteBuf frame;
    }

    private OutboundMessage(Kind kind, String text, int bytes, String conflationKey, long originMillis, Wire wire) {
        this.kind = kind;
        this.text = text;
        this.bytes = bytes;
        this.conflationKey = conflationKey;
        this.originMillis = originMillis;
        this.wire = wire;
    }

    public static OutboundMessage of(Kind kind, String text) {
        return new OutboundMessage(kind, text, utf8Length(text), null, 0, new Wire());
    }

    /** A message that a newer one with the same key may replace while the client is behind. */
    public static OutboundMessage conflatable(Kind kind, String text, String key) {
        return new OutboundMessage(kind, text, utf8Length(text), key, 0, new Wire());
    }

    public Kind kind() {
        return kind;
    }

    public String text() {
        return text;
    }

    /** The payload's size in UTF-8 bytes. */
    public int bytes() {
        return bytes;
    }

    public String conflationKey() {
        return conflationKey;
    }

    public long originMillis() {
        return originMillis;
    }

    /** This message, marked as carrying something that happened at {@code origin}. */
    public OutboundMessage withOrigin(Instant origin) {
        return new OutboundMessage(kind, text, bytes, conflationKey, Math.max(1, origin.toEpochMilli()), wire);
    }

    /**
     * This message without an origin: a snapshot (the current state sent to a new subscriber) says nothing about how
     * fast changes travel, so it is not measured.
     */
    public OutboundMessage withoutOrigin() {
        return originMillis == 0 ? this : new OutboundMessage(kind, text, bytes, conflationKey, 0, wire);
    }

    /**
     * The whole WebSocket frame (final text frame, unmasked as a server's are), to be written as
     * {@code wire().duplicate()}: each recipient gets its own indices over the same bytes. The buffer is direct, so
     * the socket write needs no copy, and unreleasable: the garbage collector frees it with this message, however many
     * writes are still referring to it when the message itself is dropped.
     *
     * <p>It goes to the socket as it is, past any compression extension: RFC 7692 lets an endpoint send any message
     * uncompressed (RSV1 clear), and compressing per connection would undo the point of encoding once.
     */
    public ByteBuf wire() {
        ByteBuf built = wire.frame;
        if (built == null) {
            built = encodeFrame(text.getBytes(StandardCharsets.UTF_8));
            wire.frame = built;
        }
        return built;
    }

    static ByteBuf encodeFrame(byte[] payload) {
        int length = payload.length;
        int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
        ByteBuffer frame = ByteBuffer.allocateDirect(header + length);
        frame.put((byte) 0x81); // FIN, text
        if (length < 126) {
            frame.put((byte) length);
        } else if (length <= 0xFFFF) {
            frame.put((byte) 126);
            frame.putShort((short) length);
        } else {
            frame.put((byte) 127);
            frame.putLong(length);
        }
        frame.put(payload);
        frame.flip();
        return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(frame));
    }

    @Override
    public String toString() {
        return "OutboundMessage[" + kind.label() + ", " + bytes + " bytes]";
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

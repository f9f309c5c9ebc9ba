package dev.pulse.gateway.websocket;

import java.util.Optional;


import dev.pulse.gateway.protocol.CloseCodes;

import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.quarkus.websockets.next.CloseReason;

/**
 * Recognises the failures the WebSocket layer reports for frames no client should send, and says how to close.
 *
 * <p>
 * Vert.x reports a message over {@code quarkus.websockets-next.server.max-message-size} (one frame or several) as a
 * plain {@link IllegalStateException} and leaves the connection open, so Pulse closes it with 1009. Netty reports a
 * frame over the frame ceiling ({@code quarkus.http.websocket-server.max-frame-size}), a bad opcode or invalid UTF-8
 * as a {@link CorruptedWebSocketFrameException} carrying the RFC 6455 status; it may have dropped the TCP connection
 * already, otherwise Pulse closes with that status.
 */
final class FrameViolations {

    /** The wording Vert.x uses for an aggregated message over the size limit. */
    private static final String OVERSIZED_MESSAGE = "max message size";

    private FrameViolations() {
    }

    /** What was wrong ("data frame using reserved opcode 3"), within the 123 bytes a close reason may have. */
    private static String reasonText(CorruptedWebSocketFrameException corrupted) {
        String detail = corrupted.getMessage();
        if (detail == null || detail.isBlank() || !detail.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            return corrupted.closeStatus().reasonText();
        }
        return detail.length() > 120 ? detail.substring(0, 120) : detail;
    }

    static Optional<CloseReason> closeReason(Throwable failure, int maxMessageBytes) {
        if (failure instanceof CorruptedWebSocketFrameException corrupted) {
            int status = corrupted.closeStatus().code();
            return Optional.of(status == 1009 ? CloseCodes.messageTooBig(maxMessageBytes)
                    : new CloseReason(status, reasonText(corrupted)));
        }
        if (failure instanceof IllegalStateException && failure.getMessage() != null
                && failure.getMessage().contains(OVERSIZED_MESSAGE)) {
            return Optional.of(CloseCodes.messageTooBig(maxMessageBytes));
        }
        return Optional.empty();
    }
}

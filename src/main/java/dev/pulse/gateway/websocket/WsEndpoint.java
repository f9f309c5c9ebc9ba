package dev.pulse.gateway.websocket;

import java.util.Optional;

import dev.pulse.gateway.observability.Endpoint;
import dev.pulse.gateway.security.HandshakeTokens;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.InboundProcessingMode;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnPongMessage;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.common.annotation.NonBlocking;
import io.vertx.core.buffer.Buffer;

/**
 * The same protocol at {@code /ws}, where clients of the event-system design connect. A valid {@code client_id}
 * query parameter that no open connection uses becomes the connection id.
 */
// CONCURRENT: the callbacks below order themselves (ConnectionHandler says how).
@WebSocket(path = "/ws", inboundProcessingMode = InboundProcessingMode.CONCURRENT)
public class WsEndpoint {

    static final String NAME = Endpoint.WS.label();

    private final ConnectionHandler handler;

    public WsEndpoint(ConnectionHandler handler) {
        this.handler = handler;
    }

    /** Blocking on purpose: token verification may fetch a JWKS. */
    @OnOpen
    public void onOpen(WebSocketConnection connection) {
        handler.open(connection, NAME,
                HandshakeTokens.queryParameter(connection.handshakeRequest().query(), "client_id"), Optional.empty());
    }

    @OnTextMessage
    @NonBlocking
    public void onText(WebSocketConnection connection, String frame) {
        handler.text(connection, frame);
    }

    @OnBinaryMessage
    @NonBlocking
    public void onBinary(WebSocketConnection connection, Buffer frame) {
        handler.binary(connection);
    }

    @OnPongMessage
    @NonBlocking
    public void onPong(WebSocketConnection connection, Buffer data) {
        handler.pong(connection);
    }

    @OnClose
    @NonBlocking
    public void onClose(WebSocketConnection connection, CloseReason reason) {
        handler.closed(connection, reason);
    }

    @OnError
    @NonBlocking
    public void onError(WebSocketConnection connection, Throwable failure) {
        handler.failed(connection, failure);
    }
}

package dev.pulse.gateway.websocket;

import java.util.Optional;

import dev.pulse.gateway.observability.Endpoint;
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

/** The telemetry and alerts endpoint, {@code /api/v2/ws}. */
// CONCURRENT: the callbacks below order themselves (ConnectionHandler says how).
@WebSocket(path = "/api/v2/ws", inboundProcessingMode = InboundProcessingMode.CONCURRENT)
public class GatewayEndpoint {

    static final String NAME = Endpoint.API_V2.label();

    private final ConnectionHandler handler;

    public GatewayEndpoint(ConnectionHandler handler) {
        this.handler = handler;
    }

    /** Blocking on purpose: token verification may fetch a JWKS. */
    @OnOpen
    public void onOpen(WebSocketConnection connection) {
        handler.open(connection, NAME, Optional.empty(), Optional.empty());
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

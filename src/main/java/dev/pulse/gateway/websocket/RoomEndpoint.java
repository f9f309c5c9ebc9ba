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
import io.quarkus.websockets.next.PathParam;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.common.annotation.NonBlocking;
import io.vertx.core.buffer.Buffer;

/**
 * A room's endpoint, {@code /ws/rooms/{room}} (the per-item endpoint pattern): the connection joins the room of its
 * tenant as soon as it is authenticated, then speaks the same protocol as every other endpoint.
 */
// CONCURRENT: the callbacks below order themselves (ConnectionHandler says how).
@WebSocket(path = "/ws/rooms/{room}", inboundProcessingMode = InboundProcessingMode.CONCURRENT)
public class RoomEndpoint {

    static final String NAME = Endpoint.ROOMS.label();

    private final ConnectionHandler handler;

    public RoomEndpoint(ConnectionHandler handler) {
        this.handler = handler;
    }

    /** Blocking on purpose: token verification may fetch a JWKS. */
    @OnOpen
    public void onOpen(WebSocketConnection connection, @PathParam String room) {
        handler.open(connection, NAME, Optional.empty(), Optional.of(room));
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

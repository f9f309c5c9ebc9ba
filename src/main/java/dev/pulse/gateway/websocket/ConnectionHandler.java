package dev.pulse.gateway.websocket;

import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.pulse.gateway.config.FrameworkSettings;
import dev.pulse.gateway.delivery.Delivery;
import dev.pulse.gateway.delivery.ServerClose;
import dev.pulse.gateway.events.EventPublisher;
import dev.pulse.gateway.lifecycle.Admission;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.ClientCommand;
import dev.pulse.gateway.protocol.ClientMessageParser;
import dev.pulse.gateway.protocol.CloseCodes;
import dev.pulse.gateway.protocol.ErrorCode;
import dev.pulse.gateway.protocol.EventTypes;
import dev.pulse.gateway.protocol.ProtocolException;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.session.ConnectionLog;
import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.websocket.OpeningConnections.EarlyFrame;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.http.HttpClosedException;

/**
 * What every Pulse endpoint does with a connection: admits it ({@link Admission}), turns its frames into commands
 * (under {@link MessageRate}) for the {@link CommandDispatcher}, and cleans up when it ends. Endpoints only say which
 * path they serve.
 *
 * <p>The endpoints use websockets-next's {@code CONCURRENT} inbound processing. Every callback but {@code @OnOpen} is
 * non-blocking and returns nothing, so it runs to completion on the connection's event loop, in arrival order, without
 * help. The {@code SERIAL} mode's per-connection queue added nothing to that but about 2 KB to every idle connection
 * (a heap dump of 5,000 connections, src/docs/benchmarks.md). What the mode would have ordered around the blocking
 * {@code @OnOpen} is handled here: frames that arrive while it runs (the token check, the initial room) wait in
 * {@link OpeningConnections} and are replayed in order, and the clean-up of a connection that closes meanwhile waits
 * for the opening to end ({@link OpeningConnections#deferClose}), so the two never overlap.
 */
@ApplicationScoped
public class ConnectionHandler {

    private static final Logger LOG = Logger.getLogger(ConnectionHandler.class);

    private final Admission admission;
    private final ConnectionRegistry registry;
    private final ClientMessageParser parser;
    private final MessageRate rate;
    private final CommandDispatcher commands;
    private final OpeningConnections opening;
    private final EventPublisher events;
    private final ServerMessages messages;
    private final Delivery delivery;
    private final ServerClose closer;
    private final GatewayMetrics metrics;
    private final int maxMessageBytes;

    public ConnectionHandler(Admission admission, ConnectionRegistry registry, ClientMessageParser parser,
            MessageRate rate, CommandDispatcher commands, OpeningConnections opening,
            EventPublisher events, ServerMessages messages, Delivery delivery, ServerClose closer,
            GatewayMetrics metrics, FrameworkSettings settings) {
        this.admission = admission;
        this.registry = registry;
        this.parser = parser;
        this.rate = rate;
        this.commands = commands;
        this.opening = opening;
        this.events = events;
        this.messages = messages;
        this.delivery = delivery;
        this.closer = closer;
        this.metrics = metrics;
        this.maxMessageBytes = settings.maxMessageBytes();
    }

    /** The received series of every frame type exist from the start, at 0. */
    void declareSeries(@Observes StartupEvent event) {
        metrics.declareReceivedTypes(CommandDispatcher.RECEIVED_TYPES);
    }

    /**
     * Admits a new connection (blocking: token verification may fetch a JWKS), joins its initial room, then handles
     * the frames it sent meanwhile, in order.
     *
     * @param requestedId a connection id the client asked for ({@code /ws?client_id=}); used when valid and free
     * @param initialRoom a room to join once authenticated ({@code /ws/rooms/{room}})
     */
    public void open(WebSocketConnection connection, String endpoint, Optional<String> requestedId,
            Optional<String> initialRoom) {
        opening.begin(connection.id());
        Optional<GatewaySession> admitted = admission.admit(connection, endpoint, requestedId);
        if (admitted.isEmpty()) {
            opening.forget(connection.id());
            return;
        }
        GatewaySession session = admitted.get();
        initialRoom.ifPresent(room -> commands.join(session, room));
        if (!opening.settle(connection.id(), frame -> {
            if (frame.binary()) {
                handleBinary(session);
            } else {
                handle(session, frame.text());
            }
        })) {
            closeForEarlyFlood(connection);
        }
    }

    /** Handles one text frame. Non-blocking; a bad frame gets an error message and the connection stays open. */
    public void text(WebSocketConnection connection, String frame) {
        Optional<GatewaySession> found = registry.session(connection);
        if (found.isEmpty() || opening.isOpening(connection.id())) {
            found = openingSession(connection, new EarlyFrame(frame));
        }
        found.ifPresent(session -> handle(session, frame));
    }

    /**
     * For a frame of a connection that has no session yet or is still replaying: the session to handle it for now, or
     * empty when the frame is held until the connection is registered (or the connection is gone, or closing for
     * sending too many frames early).
     */
    private Optional<GatewaySession> openingSession(WebSocketConnection connection, EarlyFrame frame) {
        switch (opening.offer(connection.id(), frame, () -> registry.session(connection).isPresent())) {
            case HELD:
                return Optional.empty();
            case OVERFLOW:
                closeForEarlyFlood(connection);
                return Optional.empty();
            default:
                return registry.session(connection);
        }
    }

    private void handle(GatewaySession session, String frame) {
        long now = System.nanoTime();
        ClientCommand command;
        try {
            command = parser.parse(frame);
        } catch (ProtocolException e) {
            if (rate.admit(session, now, 0)) {
                metrics.messageReceived("invalid", session.tenant());
                delivery.send(session, messages.error(e.code(), e.getMessage()));
            }
            return;
        }
        if (rate.admit(session, now, CommandDispatcher.subscriptionCost(command))) {
            metrics.messageReceived(CommandDispatcher.label(command), session.tenant());
            commands.dispatch(session, command);
        }
    }

    /** Answers a binary frame: the protocol is text only. Binary frames count against the message rate too. */
    public void binary(WebSocketConnection connection) {
        Optional<GatewaySession> found = registry.session(connection);
        if (found.isEmpty() || opening.isOpening(connection.id())) {
            found = openingSession(connection, EarlyFrame.BINARY);
        }
        found.ifPresent(this::handleBinary);
    }

    private void handleBinary(GatewaySession session) {
        if (!rate.admit(session, System.nanoTime(), 0)) {
            return;
        }
        metrics.messageReceived("binary", session.tenant());
        delivery.send(session, messages.error(ErrorCode.BINARY_NOT_SUPPORTED,
                "Binary frames are not supported; send JSON text frames"));
    }

    /** Records a pong: the connection is alive (the keepalive sweep closes those that stop answering). */
    public void pong(WebSocketConnection connection) {
        registry.session(connection).ifPresent(session -> session.ponged(System.nanoTime()));
    }

    /**
     * Removes everything the connection held, whatever ended it, and tells the rooms' presence listeners. For a
     * connection whose {@code @OnOpen} still runs, that waits until the opening is over (see the class comment).
     */
    public void closed(WebSocketConnection connection, CloseReason reason) {
        if (!opening.deferClose(connection.id(), () -> cleanUp(connection, reason))) {
            cleanUp(connection, reason);
        }
    }

    private void cleanUp(WebSocketConnection connection, CloseReason reason) {
        opening.forget(connection.id());
        registry.session(connection).ifPresent(session -> {
            Set<String> rooms = session.rooms();
            registry.unregister(session);
            rooms.forEach(room -> events.presence(session, room, EventTypes.MEMBER_LEFT));
            int code = reason == null ? CloseReason.ABNORMAL.getCode() : reason.getCode();
            metrics.connectionClosed(CloseCodes.metricLabel(code), session.tenant());
            // Concatenated, not infof, like the line of the connection's opening (Admission).
            ConnectionLog.with(session.id(), session.tenant(), session.endpoint(), () -> LOG.info(
                    "Connection closed id=" + session.id() + " tenant=" + session.tenant() + " code=" + code));
        });
    }

    private void closeForEarlyFlood(WebSocketConnection connection) {
        LOG.infof("Connection %s closed: more than %d messages before authentication completed", connection.id(),
                opening.maxEarlyFrames());
        closer.close(connection, CloseCodes.EARLY_FLOOD);
    }

    /**
     * Handles a failure the WebSocket layer reports: a frame that breaks the protocol or the size limit closes the
     * connection with the matching code; anything else is logged without taking the server down, and the connection
     * stays as it is.
     */
    public void failed(WebSocketConnection connection, Throwable failure) {
        if (failure instanceof HttpClosedException) {
            // A client that vanished without a close handshake: ordinary on mobile networks; the close path cleans up.
            LOG.debugf("Connection %s dropped: %s", connection.id(), failure.getMessage());
            return;
        }
        Optional<CloseReason> violation = FrameViolations.closeReason(failure, maxMessageBytes);
        if (violation.isPresent()) {
            LOG.infof("Connection %s closed with %d: %s", connection.id(), violation.get().getCode(),
                    failure.getMessage());
            metrics.frameViolation(violation.get().getCode());
            if (!connection.isClosed()) {
                closer.close(connection, violation.get());
            }
            return;
        }
        LOG.warnf(failure, "Unexpected failure on connection %s", connection.id());
        registry.session(connection).ifPresent(session -> delivery.send(session,
                messages.error(ErrorCode.INTERNAL_ERROR, "The request could not be handled; try again")));
    }
}

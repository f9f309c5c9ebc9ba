package dev.pulse.gateway.websocket;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.alerts.AlertService;
import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.lifecycle.GracefulShutdown;
import dev.pulse.gateway.delivery.ServerClose;
import dev.pulse.gateway.lifecycle.ConnectRateGuard;
import dev.pulse.gateway.delivery.Delivery;
import dev.pulse.gateway.events.EventPublisher;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.ClientCommand;
import dev.pulse.gateway.protocol.ClientMessageParser;
import dev.pulse.gateway.protocol.CloseCodes;
import dev.pulse.gateway.protocol.ErrorCode;
import dev.pulse.gateway.protocol.EventTypes;
import dev.pulse.gateway.protocol.Identifiers;
import dev.pulse.gateway.protocol.ProtocolException;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.protocol.Timestamps;
import dev.pulse.gateway.registry.AlertFeed;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.registry.DeviceWatch;
import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.security.AuthenticationFailure;
import dev.pulse.gateway.security.GatewayPrincipal;
import dev.pulse.gateway.security.HandshakeTokens;
import dev.pulse.gateway.lifecycle.TokenLifetime;
import dev.pulse.gateway.security.TokenVerifier;
import dev.pulse.gateway.telemetry.TelemetryService;

import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.http.HttpClosedException;
import dev.pulse.gateway.config.FrameworkSettings;

/**
 * What every Pulse endpoint does with a connection: authenticate it, turn its frames into commands and its commands
 * into subscriptions, and clean up when it ends. Endpoints only say which path they serve.
 */
@ApplicationScoped
public class ConnectionHandler {

    private static final Logger LOG = Logger.getLogger(ConnectionHandler.class);

    private final TokenVerifier verifier;
    private final ConnectionRegistry registry;
    private final ClientMessageParser parser;
    private final ServerMessages messages;
    private final Delivery delivery;
    private final TelemetryService telemetry;
    private final AlertService alerts;
    private final GatewayMetrics metrics;
    private final OpeningConnections opening;
    private final TokenLifetime lifetime;
    private final ConnectRateGuard connectRate;
    private final GracefulShutdown shutdown;
    private final ServerClose closer;
    private final EventPublisher events;
    private final PulseConfig.Limits limits;
    private final Map<String, Object> announcedLimits;
    private final Clock clock = Clock.systemUTC();
    private final int maxMessageBytes;
    /** A page load subscribing to every device it may watch, plus alerts and event filters, passes at once. */
    private final int subscriptionBurst;
    /**
     * One rate violation is forgiven per ten message tokens earned (10 s at 60 per minute): a client that overshoots
     * now and then never accumulates its way to 1008, one that keeps sending at even twice the rate gets there.
     */
    private static final long VIOLATION_DECAY_TOKENS = 10;
    private final long violationDecayNanos;

    public ConnectionHandler(TokenVerifier verifier, ConnectionRegistry registry, ClientMessageParser parser,
            ServerMessages messages, Delivery delivery, TelemetryService telemetry, AlertService alerts,
            GatewayMetrics metrics, OpeningConnections opening, TokenLifetime lifetime, ConnectRateGuard connectRate,
            GracefulShutdown shutdown, ServerClose closer, EventPublisher events, FrameworkSettings settings,
            PulseConfig config) {
        this.maxMessageBytes = settings.maxMessageBytes();
        this.events = events;
        this.shutdown = shutdown;
        this.closer = closer;
        this.lifetime = lifetime;
        this.connectRate = connectRate;
        this.limits = config.limits();
        this.subscriptionBurst = limits.devicesPerConnection() + 50;
        this.violationDecayNanos = VIOLATION_DECAY_TOKENS * 60_000_000_000L / Math.max(1, limits.messagesPerMinute());
        Map<String, Object> announced = new LinkedHashMap<>();
        announced.put("max_message_bytes", maxMessageBytes);
        announced.put("messages_per_minute", limits.messagesPerMinute());
        announced.put("subscription_burst", subscriptionBurst);
        announced.put("devices_per_connection", limits.devicesPerConnection());
        announced.put("rooms_per_connection", limits.roomsPerConnection());
        announced.put("event_types_per_connection", limits.eventTypesPerConnection());
        this.announcedLimits = Map.copyOf(announced);
        this.verifier = verifier;
        this.registry = registry;
        this.parser = parser;
        this.messages = messages;
        this.delivery = delivery;
        this.telemetry = telemetry;
        this.alerts = alerts;
        this.metrics = metrics;
        this.opening = opening;
    }

    /**
     * Authenticates a new connection (blocking: token verification may fetch a JWKS). A rejected connection is closed
     * with its close code before anything is registered for it.
     *
     * @param requestedId a connection id the client asked for ({@code /ws?client_id=}); used when valid and free
     * @param initialRoom a room to join once authenticated ({@code /ws/rooms/{room}})
     */
    public void open(WebSocketConnection connection, String endpoint, Optional<String> requestedId,
            Optional<String> initialRoom) {
        opening.begin(connection.id());
        if (shutdown.draining()) {
            metrics.connectionRefused("draining");
            refuse(connection, shutdown.closeReason());
            return;
        }
        GatewayPrincipal principal;
        try {
            principal = verifier.verify(HandshakeTokens.token(connection.handshakeRequest()));
        } catch (AuthenticationFailure failure) {
            // Charged to the failed-handshake budget, never to the one authenticated clients connect with.
            metrics.authFailure(failure.metricReason());
            if (connectRate.chargeFailure()) {
                LOG.infof("Connection %s rejected on %s: close %d (%s)", connection.id(), endpoint,
                        failure.closeReason().getCode(), failure.metricReason());
            }
            refuse(connection, failure.closeReason());
            return;
        }
        if (!connectRate.admit()) {
            metrics.connectionRefused("connect_rate");
            refuse(connection, CloseCodes.tryAgainLater(connectRate.retryHint()));
            return;
        }
        GatewaySession session;
        try {
            session = registry.register(connection, principal, endpoint,
                    requestedId.filter(Identifiers::isValidClientId), limits.connectionsPerTenant(),
                    limits.connectionsPerSubject());
        } catch (ConnectionRegistry.LimitReached limit) {
            String which = limit.refusal() == ConnectionRegistry.Refusal.TENANT_LIMIT ? "tenant" : "subject";
            metrics.connectionRefused(which);
            LOG.infof("Connection %s refused: %s connection limit reached (tenant=%s)", connection.id(), which,
                    principal.tenant());
            refuse(connection, CloseCodes.TOO_MANY_CONNECTIONS);
            return;
        }
        if (connection.isClosed()) {
            // The client left while we verified its token; the close callback may have found nothing to clean up.
            registry.unregister(session);
            opening.forget(connection.id());
            return;
        }
        lifetime.watch(session);
        metrics.connectionOpened(endpoint, principal.tenant());
        LOG.infof("Connection opened id=%s tenant=%s subject=%s role=%s endpoint=%s", session.id(),
                principal.tenant(), principal.subject(), principal.role(), endpoint);
        // First message on every connection: the client learns its id and limits without asking.
        delivery.send(session, messages.connected(session.id(), principal.tenant(), clock.instant(), announcedLimits));
        initialRoom.ifPresent(room -> join(session, room));
        if (!opening.settle(connection.id(), frame -> handle(session, frame))) {
            closeForEarlyFlood(connection);
        }
    }

    /** Handles one text frame. Non-blocking; a bad frame gets an error message and the connection stays open. */
    public void text(WebSocketConnection connection, String frame) {
        Optional<GatewaySession> found = registry.session(connection);
        if (found.isEmpty() || opening.isOpening(connection.id())) {
            switch (opening.offer(connection.id(), frame)) {
                case HELD:
                    return;
                case OVERFLOW:
                    closeForEarlyFlood(connection);
                    return;
                case HANDLE_NOW:
                    found = registry.session(connection);
                    break;
            }
        }
        found.ifPresent(session -> handle(session, frame));
    }

    private void refuse(WebSocketConnection connection, CloseReason reason) {
        connection.close(reason).onFailure().recoverWithNull().await().indefinitely();
        opening.forget(connection.id());
    }

    private void handle(GatewaySession session, String frame) {
        long now = System.nanoTime();
        ClientCommand command;
        try {
            command = parser.parse(frame);
        } catch (ProtocolException e) {
            if (received(session, now, 0)) {
                metrics.messageReceived("invalid", session.tenant());
                delivery.send(session, messages.error(e.code(), e.getMessage()));
            }
            return;
        }
        if (received(session, now, subscriptionCost(command))) {
            metrics.messageReceived(label(command), session.tenant());
            dispatch(session, command);
        }
    }

    /**
     * Counts a frame from the client and takes it from the connection's rate: subscribe and unsubscribe requests
     * ({@code subscriptionCost} > 0, one per device named) from the subscription rate, whose burst lets a page load
     * subscribe to every device the connection may watch; everything else, junk included, from the message rate.
     * False when the rate refused it: the client got {@code rate_limited} (or, after too many, the connection is
     * closing with 1008).
     */
    private boolean received(GatewaySession session, long now, int subscriptionCost) {
        session.countReceived();
        session.touched(now);
        boolean allowed = subscriptionCost > 0
                ? session.trySubscriptionRate(now, limits.messagesPerMinute(), subscriptionBurst, subscriptionCost)
                : session.tryRate(now, limits.messagesPerMinute());
        if (allowed) {
            return true;
        }
        metrics.rateLimited();
        metrics.messageReceived("rate_limited", session.tenant());
        if (session.rateViolation(now, violationDecayNanos) > limits.rateViolationsBeforeClose()) {
            LOG.infof("Connection %s closed: rate limit exceeded", session.id());
            closer.close(session.connection(), CloseCodes.RATE_LIMIT);
        } else {
            delivery.send(session, messages.error(ErrorCode.RATE_LIMITED, "Too many messages: at most "
                    + limits.messagesPerMinute() + " per minute; this one was not handled"));
        }
        return false;
    }

    /** Answers a binary frame: the protocol is text only. Binary frames count against the message rate too. */
    public void binary(WebSocketConnection connection) {
        registry.session(connection).ifPresent(session -> {
            if (!received(session, System.nanoTime(), 0)) {
                return;
            }
            metrics.messageReceived("binary", session.tenant());
            delivery.send(session, messages.error(ErrorCode.BINARY_NOT_SUPPORTED,
                    "Binary frames are not supported; send JSON text frames"));
        });
    }

    /** Records a pong: the connection is alive (the keepalive sweep closes those that stop answering). */
    public void pong(WebSocketConnection connection) {
        registry.session(connection).ifPresent(session -> session.ponged(System.nanoTime()));
    }

    /** Removes everything the connection held, whatever ended it. */
    public void closed(WebSocketConnection connection, CloseReason reason) {
        opening.forget(connection.id());
        registry.session(connection).ifPresent(session -> {
            lifetime.forget(session);
            Set<String> rooms = session.rooms();
            registry.unregister(session);
            rooms.forEach(room -> events.presence(session, room, EventTypes.MEMBER_LEFT));
            int code = reason == null ? CloseReason.ABNORMAL.getCode() : reason.getCode();
            metrics.connectionClosed(CloseCodes.metricLabel(code), session.tenant());
            LOG.infof("Connection closed id=%s tenant=%s subject=%s code=%d", session.id(), session.tenant(),
                    session.principal().subject(), code);
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

    private void dispatch(GatewaySession session, ClientCommand command) {
        if (command instanceof ClientCommand.SubscribeDevice subscribe) {
            if (session.deviceCount() >= limits.devicesPerConnection()
                    && !session.watchesDevice(subscribe.deviceId())) {
                delivery.send(session, messages.error(ErrorCode.TOO_MANY_DEVICES, "At most "
                        + limits.devicesPerConnection() + " device subscriptions per connection"));
                return;
            }
            DeviceWatch watch = telemetry.subscribe(session, subscribe.deviceId());
            delivery.send(session, messages.subscribedDevice(subscribe.deviceId()));
            if (watch != null) {
                telemetry.sendLatest(session, watch);
            }
        } else if (command instanceof ClientCommand.UnsubscribeDevice unsubscribe) {
            telemetry.unsubscribe(session, unsubscribe.deviceId());
            delivery.send(session, messages.unsubscribedDevice(unsubscribe.deviceId()));
        } else if (command instanceof ClientCommand.SubscribeDevices subscribe) {
            subscribeDevices(session, subscribe);
        } else if (command instanceof ClientCommand.UnsubscribeDevices unsubscribe) {
            unsubscribe.deviceIds().forEach(device -> telemetry.unsubscribe(session, device));
            delivery.send(session, messages.devices(false, unsubscribe.deviceIds(), invalid(unsubscribe.invalid())));
        } else if (command instanceof ClientCommand.SubscribeAlerts) {
            AlertFeed feed = alerts.subscribe(session);
            delivery.send(session, messages.subscribedAlerts());
            if (feed != null) {
                alerts.sendCurrent(session, feed);
            }
        } else if (command instanceof ClientCommand.UnsubscribeAlerts) {
            alerts.unsubscribe(session);
            delivery.send(session, messages.unsubscribedAlerts());
        } else if (command instanceof ClientCommand.SubscribeEvents subscribe) {
            Set<String> filter = session.addEventTypes(subscribe.eventTypes(),
                    limits.eventTypesPerConnection());
            if (filter == null) {
                delivery.send(session, messages.error(ErrorCode.TOO_MANY_EVENT_TYPES, "At most "
                        + limits.eventTypesPerConnection() + " event types per connection; the filter is unchanged"));
                return;
            }
            registry.presenceListener(session, EventTypes.PRESENCE.stream().anyMatch(filter::contains));
            delivery.send(session, messages.eventFilter(true, filter));
        } else if (command instanceof ClientCommand.UnsubscribeEvents unsubscribe) {
            Set<String> filter = session.removeEventTypes(unsubscribe.eventTypes());
            registry.presenceListener(session, EventTypes.PRESENCE.stream().anyMatch(filter::contains));
            delivery.send(session, messages.eventFilter(false, filter));
        } else if (command instanceof ClientCommand.JoinRoom join) {
            join(session, join.room());
        } else if (command instanceof ClientCommand.LeaveRoom leave) {
            boolean left = registry.leaveRoom(session, leave.room());
            delivery.send(session, messages.left(leave.room(), left));
            if (left) {
                events.presence(session, leave.room(), EventTypes.MEMBER_LEFT);
            }
        } else if (command instanceof ClientCommand.Refresh refresh) {
            lifetime.refresh(session, refresh.token());
        } else if (command instanceof ClientCommand.Info) {
            delivery.send(session, messages.info(info(session)));
        } else if (command instanceof ClientCommand.Ping) {
            delivery.send(session, messages.pong(clock.instant()));
        } else {
            throw new IllegalStateException("Unhandled command " + command);
        }
    }

    /**
     * The list form: every valid id up to the device cap is subscribed, the rest refused by name, all in one
     * confirmation; then the latest points of the new subscriptions (coalesced into one read per tenant).
     */
    private void subscribeDevices(GatewaySession session, ClientCommand.SubscribeDevices subscribe) {
        List<String> accepted = new ArrayList<>();
        List<ServerMessages.Refusal> refused = new ArrayList<>(invalid(subscribe.invalid()));
        List<DeviceWatch> watches = new ArrayList<>();
        for (String device : subscribe.deviceIds()) {
            if (session.deviceCount() >= limits.devicesPerConnection() && !session.watchesDevice(device)) {
                refused.add(new ServerMessages.Refusal(device, ErrorCode.TOO_MANY_DEVICES,
                        "At most " + limits.devicesPerConnection() + " device subscriptions per connection"));
                continue;
            }
            DeviceWatch watch = telemetry.subscribe(session, device);
            accepted.add(device);
            if (watch != null) {
                watches.add(watch);
            }
        }
        delivery.send(session, messages.devices(true, accepted, refused));
        telemetry.sendLatest(session, watches);
    }

    private static List<ServerMessages.Refusal> invalid(List<String> entries) {
        return entries.stream().map(entry -> new ServerMessages.Refusal(entry, ErrorCode.INVALID_DEVICE_ID,
                "not a device id")).toList();
    }

    /** How much of the device-subscription rate a command takes: one per device named, zero for anything else. */
    private static int subscriptionCost(ClientCommand command) {
        if (command instanceof ClientCommand.SubscribeDevices list) {
            return Math.max(1, list.deviceIds().size() + list.invalid().size());
        }
        if (command instanceof ClientCommand.UnsubscribeDevices list) {
            return Math.max(1, list.deviceIds().size() + list.invalid().size());
        }
        // Alerts and event filters are one request per page, not one per device: they take from the message rate.
        return command instanceof ClientCommand.SubscribeDevice || command instanceof ClientCommand.UnsubscribeDevice
                ? 1 : 0;
    }

    private void join(GatewaySession session, String room) {
        if (!Identifiers.isValidRoom(room)) {
            delivery.send(session, messages.error(ErrorCode.INVALID_ROOM, "Invalid room name in the path"));
            return;
        }
        if (session.rooms().size() >= limits.roomsPerConnection() && !session.rooms().contains(room)) {
            delivery.send(session, messages.error(ErrorCode.TOO_MANY_ROOMS,
                    "At most " + limits.roomsPerConnection() + " rooms per connection"));
            return;
        }
        boolean already = session.inRoom(room);
        int members = registry.joinRoom(session, room);
        delivery.send(session, messages.joined(room, members));
        if (!already && members > 0) {
            events.presence(session, room, EventTypes.MEMBER_JOINED);
        }
    }

    private static Map<String, Object> info(GatewaySession session) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("connection_id", session.id());
        info.put("tenant", session.tenant());
        info.put("subject", session.principal().subject());
        info.put("role", session.principal().role());
        info.put("endpoint", session.endpoint());
        info.put("connected_at", Timestamps.format(session.connectedAt()));
        info.put("rooms", new TreeSet<>(session.rooms()));
        info.put("devices", new TreeSet<>(session.devices()));
        info.put("alerts", session.alerts());
        info.put("event_types", new TreeSet<>(session.eventTypes()));
        info.put("messages_sent", session.messagesSent());
        info.put("messages_received", session.messagesReceived());
        return info;
    }

    /** The {@code type} label of {@code pulse_messages_received_total}: what the frame asked for. */
    private static String label(ClientCommand command) {
        if (command instanceof ClientCommand.SubscribeDevice || command instanceof ClientCommand.SubscribeAlerts
                || command instanceof ClientCommand.SubscribeEvents || command instanceof ClientCommand.SubscribeDevices) {
            return "subscribe";
        }
        if (command instanceof ClientCommand.UnsubscribeDevice || command instanceof ClientCommand.UnsubscribeAlerts
                || command instanceof ClientCommand.UnsubscribeEvents
                || command instanceof ClientCommand.UnsubscribeDevices) {
            return "unsubscribe";
        }
        if (command instanceof ClientCommand.JoinRoom) {
            return "join";
        }
        if (command instanceof ClientCommand.LeaveRoom) {
            return "leave";
        }
        if (command instanceof ClientCommand.Refresh) {
            return "refresh";
        }
        return command instanceof ClientCommand.Info ? "info" : "ping";
    }
}

package dev.pulse.gateway.websocket;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;

import dev.pulse.gateway.registry.Watchers;
import dev.pulse.gateway.alerts.AlertService;
import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.delivery.Delivery;
import dev.pulse.gateway.events.EventPublisher;
import dev.pulse.gateway.lifecycle.TokenLifetime;
import dev.pulse.gateway.protocol.ClientCommand;
import dev.pulse.gateway.protocol.ErrorCode;
import dev.pulse.gateway.protocol.EventTypes;
import dev.pulse.gateway.protocol.Identifiers;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.protocol.Timestamps;
import dev.pulse.gateway.registry.AlertFeed;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.registry.DeviceWatch;
import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.telemetry.TelemetryService;

/**
 * Carries out a client's commands with their per-command limits (devices, rooms and event types per connection):
 * subscriptions, rooms, the event-type filter, token refresh, info and ping, each answered with its reply.
 */
@ApplicationScoped
public class CommandDispatcher {

    private final Watchers watchers;
    private final ConnectionRegistry registry;
    private final ServerMessages messages;
    private final Delivery delivery;
    private final TelemetryService telemetry;
    private final AlertService alerts;
    private final TokenLifetime lifetime;
    private final EventPublisher events;
    private final PulseConfig.Limits limits;
    private final Clock clock = Clock.systemUTC();

    public CommandDispatcher(Watchers watchers, ConnectionRegistry registry, ServerMessages messages, Delivery delivery,
            TelemetryService telemetry, AlertService alerts, TokenLifetime lifetime, EventPublisher events,
            PulseConfig config) {
        this.watchers = watchers;
        this.registry = registry;
        this.messages = messages;
        this.delivery = delivery;
        this.telemetry = telemetry;
        this.alerts = alerts;
        this.lifetime = lifetime;
        this.events = events;
        this.limits = config.limits();
    }

    /** Carries out one command and answers it. */
    public void dispatch(GatewaySession session, ClientCommand command) {
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
            watchers.presenceListener(session, EventTypes.PRESENCE.stream().anyMatch(filter::contains));
            delivery.send(session, messages.eventFilter(true, filter));
        } else if (command instanceof ClientCommand.UnsubscribeEvents unsubscribe) {
            Set<String> filter = session.removeEventTypes(unsubscribe.eventTypes());
            watchers.presenceListener(session, EventTypes.PRESENCE.stream().anyMatch(filter::contains));
            delivery.send(session, messages.eventFilter(false, filter));
        } else if (command instanceof ClientCommand.JoinRoom join) {
            join(session, join.room());
        } else if (command instanceof ClientCommand.LeaveRoom leave) {
            boolean left = watchers.leaveRoom(session, leave.room());
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
    static int subscriptionCost(ClientCommand command) {
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

    /** Puts the connection in a room of its tenant (also the room of {@code /ws/rooms/{room}}), and tells it. */
    public void join(GatewaySession session, String room) {
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
        int members = watchers.joinRoom(session, room);
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

    /** Every {@code type} of {@code pulse_messages_received_total}: the commands' labels and the refused frames'. */
    static final List<String> RECEIVED_TYPES = List.of("subscribe", "unsubscribe", "join", "leave", "refresh", "info",
            "ping", "invalid", "binary", "rate_limited");

    /** The {@code type} label of {@code pulse_messages_received_total}: what the frame asked for. */
    static String label(ClientCommand command) {
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

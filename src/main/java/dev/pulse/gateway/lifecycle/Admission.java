package dev.pulse.gateway.lifecycle;

import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.config.FrameworkSettings;
import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.delivery.Delivery;
import dev.pulse.gateway.observability.Endpoint;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.CloseCodes;
import dev.pulse.gateway.protocol.Identifiers;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.security.AuthenticationFailure;
import dev.pulse.gateway.security.GatewayPrincipal;
import dev.pulse.gateway.security.HandshakeTokens;
import dev.pulse.gateway.security.TokenVerifier;
import dev.pulse.gateway.security.WarmUpPasses;
import dev.pulse.gateway.session.ConnectionLog;
import dev.pulse.gateway.session.GatewaySession;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;

/**
 * Who gets in: a new connection is refused while the replica drains, closed with its code when its token fails
 * (charged to the failed-handshake budget, never to the authenticated one), refused past the connect rate or a
 * tenant or subject cap, and otherwise registered, watched for token expiry, and greeted with the {@code connected}
 * event (its id, the protocol version, the limits that apply to it).
 */
@ApplicationScoped
public class Admission {

    private static final Logger LOG = Logger.getLogger(Admission.class);

    private final TokenVerifier verifier;
    private final WarmUpPasses warmUpPasses;
    private final ConnectionRegistry registry;
    private final ConnectRateGuard connectRate;
    private final GracefulShutdown shutdown;
    private final GatewayMetrics metrics;
    private final ServerMessages messages;
    private final Delivery delivery;
    private final PulseConfig.Limits limits;
    private final JsonNode announcedLimits;
    private final Clock clock = Clock.systemUTC();

    public Admission(TokenVerifier verifier, WarmUpPasses warmUpPasses, ConnectionRegistry registry,
            ConnectRateGuard connectRate, GracefulShutdown shutdown, GatewayMetrics metrics, ServerMessages messages,
            Delivery delivery, FrameworkSettings settings, PulseConfig config) {
        this.verifier = verifier;
        this.warmUpPasses = warmUpPasses;
        this.registry = registry;
        this.connectRate = connectRate;
        this.shutdown = shutdown;
        this.metrics = metrics;
        this.messages = messages;
        this.delivery = delivery;
        this.limits = config.limits();
        Map<String, Object> announced = new LinkedHashMap<>();
        announced.put("max_message_bytes", settings.maxMessageBytes());
        announced.put("messages_per_minute", limits.messagesPerMinute());
        announced.put("subscription_burst", subscriptionBurst(config));
        announced.put("devices_per_connection", limits.devicesPerConnection());
        announced.put("rooms_per_connection", limits.roomsPerConnection());
        announced.put("event_types_per_connection", limits.eventTypesPerConnection());
        this.announcedLimits = messages.limits(announced);
    }

    /** The opened and closed series of every endpoint and close code exist from the start, at 0. */
    void declareSeries(@Observes StartupEvent event) {
        metrics.declareConnectionSeries(Arrays.stream(Endpoint.values()).map(Endpoint::label).toList(),
                CloseCodes.metricLabels());
    }

    /**
     * The burst of device subscribe/unsubscribe requests one connection may send at once: a page load subscribing to
     * every device it may watch, with room to spare.
     */
    public static int subscriptionBurst(PulseConfig config) {
        return config.limits().devicesPerConnection() + 50;
    }

    /**
     * Admits a new connection (blocking: token verification may fetch a JWKS): its session, or empty when it was
     * refused (and closed with its code) or left meanwhile. Nothing is registered for a refused connection.
     *
     * @param requestedId a connection id the client asked for ({@code /ws?client_id=}); used when valid and free
     */
    public Optional<GatewaySession> admit(WebSocketConnection connection, String endpoint,
            Optional<String> requestedId) {
        if (shutdown.draining()) {
            metrics.connectionRefused("draining");
            Duration delay = shutdown.reconnectDelay();
            refuse(connection, CloseCodes.goingAway(delay), delay);
            return Optional.empty();
        }
        Optional<String> token = HandshakeTokens.token(connection.handshakeRequest());
        Optional<GatewayPrincipal> warmUp = warmUpPasses.redeem(token);
        GatewayPrincipal principal;
        try {
            principal = warmUp.isPresent() ? warmUp.get() : verifier.verify(token);
        } catch (AuthenticationFailure failure) {
            // Charged to the failed-handshake budget, never to the one authenticated clients connect with.
            metrics.authFailure(failure.metricReason());
            if (connectRate.chargeFailure()) {
                ConnectionLog.with(connection.id(), null, endpoint, () -> LOG.infof(
                        "Connection %s rejected on %s: close %d (%s)", connection.id(), endpoint,
                        failure.closeReason().getCode(), failure.metricReason()));
            }
            refuse(connection, failure.closeReason(), null);
            return Optional.empty();
        }
        // The warm-up runs before the replica is ready, and is not the storm the connect rate guards against.
        if (warmUp.isEmpty() && !connectRate.admit()) {
            metrics.connectionRefused("connect_rate");
            Duration hint = connectRate.retryHint();
            refuse(connection, CloseCodes.tryAgainLater(hint), hint);
            return Optional.empty();
        }
        GatewaySession session;
        try {
            session = registry.register(connection, principal, endpoint,
                    requestedId.filter(Identifiers::isValidClientId), limits.connectionsPerTenant(),
                    limits.connectionsPerSubject());
        } catch (ConnectionRegistry.LimitReached limit) {
            String which = limit.refusal() == ConnectionRegistry.Refusal.TENANT_LIMIT ? "tenant" : "subject";
            metrics.connectionRefused(which);
            ConnectionLog.with(connection.id(), principal.tenant(), endpoint, () -> LOG.infof(
                    "Connection %s refused: %s connection limit reached (tenant=%s)", connection.id(), which,
                    principal.tenant()));
            refuse(connection, CloseCodes.TOO_MANY_CONNECTIONS, null);
            return Optional.empty();
        }
        if (connection.isClosed()) {
            // The client left while we verified its token; the close callback may have found nothing to clean up.
            registry.unregister(session);
            return Optional.empty();
        }
        metrics.connectionOpened(endpoint, principal.tenant());
        // No subject: it identifies a person. The connection id ties the lines of a connection together.
        // Concatenated, not infof: a printf format is parsed on every call, and this line is written for every
        // client (the profile of a fleet connecting showed it).
        ConnectionLog.with(session.id(), principal.tenant(), endpoint, () -> LOG.info(
                "Connection opened id=" + session.id() + " tenant=" + principal.tenant() + " role=" + principal.role()
                        + " endpoint=" + endpoint));
        // First message on every connection: the client learns its id and limits without asking.
        delivery.send(session, messages.connected(session.id(), principal.tenant(), clock.instant(), announcedLimits));
        return Optional.of(session);
    }

    /**
     * Closes a connection that is not admitted. A close that asks the client to come back after {@code retryAfter}
     * (null for none) is preceded by the machine-readable {@code reconnect} message with that delay.
     */
    private void refuse(WebSocketConnection connection, CloseReason reason, Duration retryAfter) {
        if (retryAfter != null) {
            connection.sendText(messages.reconnect(reason, retryAfter.toMillis()).text()).onFailure().recoverWithNull()
                    .await().indefinitely();
        }
        connection.close(reason).onFailure().recoverWithNull().await().indefinitely();
    }
}

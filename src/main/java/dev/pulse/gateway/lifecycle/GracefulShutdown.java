package dev.pulse.gateway.lifecycle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.protocol.CloseCodes;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.session.GatewaySession;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.websockets.next.CloseReason;
import io.smallrye.mutiny.Uni;

/**
 * Takes the gateway out of service on SIGTERM without a reconnect storm.
 *
 * <ol>
 * <li>On the signal, Quarkus turns readiness DOWN, fires {@link ShutdownDelayInitiatedEvent} and waits
 * {@code quarkus.shutdown.delay} so the load balancer stops routing here. From that event on, new WebSockets are
 * closed at once with 1001 and a reconnect hint, so they go to another replica.</li>
 * <li>Shortly before the delay ends, every client is closed with 1001 and its own random reconnect delay in the
 * reason, so the remaining replicas do not all get the reconnects in the same instant, and Pulse waits for the close
 * handshakes up to {@code pulse.shutdown.close-timeout}.</li>
 * </ol>
 * Why before the delay ends and not in a {@link ShutdownEvent} observer: once the delay is over Quarkus closes the
 * HTTP server, which closes every WebSocket with a bare 1001 and no reconnect hint, before shutdown observers run
 * (measured with the packaged application). The observer remains for what the delay does not cover (a zero delay,
 * launch modes without it).
 */
@ApplicationScoped
public class GracefulShutdown {

    private static final Logger LOG = Logger.getLogger(GracefulShutdown.class);
    /** No client is told to wait less than this, so even the luckiest one gives the load balancer a moment. */
    private static final long MIN_RECONNECT_MILLIS = 500;

    private final ConnectionRegistry registry;
    private final ServerMessages messages;
    private final long jitterMillis;
    private final Duration closeTimeout;
    private final Duration closeAfter;
    private volatile boolean draining;

    public GracefulShutdown(ConnectionRegistry registry, ServerMessages messages, PulseConfig config,
            @ConfigProperty(name = "quarkus.shutdown.delay") Optional<Duration> shutdownDelay) {
        this.registry = registry;
        this.messages = messages;
        Duration delay = shutdownDelay.orElse(Duration.ZERO);
        // Half a second before the delay ends (half the delay if it is shorter), so the closes are out before the
        // HTTP server stops.
        this.closeAfter = delay.minus(Collections.min(List.of(Duration.ofMillis(500), delay.dividedBy(2))));
        this.jitterMillis = Math.max(1, config.shutdown().reconnectJitter().toMillis());
        this.closeTimeout = config.shutdown().closeTimeout();
    }

    /** True from the start of the shutdown delay: new connections are refused with 1001 and {@link #reconnectDelay()}. */
    public boolean draining() {
        return draining;
    }

    /** A fresh random reconnect delay for one client, named in its 1001 close and in the reconnect message before. */
    public Duration reconnectDelay() {
        return Duration.ofMillis(MIN_RECONNECT_MILLIS + ThreadLocalRandom.current().nextLong(jitterMillis));
    }

    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) {
        draining = true;
        LOG.infof("Shutdown requested: readiness is DOWN; refusing new connections; closing %d open ones in %d ms",
                registry.connectionCount(), closeAfter.toMillis());
        // Quarkus waits for this observer before its delay starts: the closes happen on a thread of their own.
        Thread closer = new Thread(() -> {
            try {
                Thread.sleep(closeAfter.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            closeAll();
        }, "pulse-drain");
        closer.setDaemon(true);
        closer.start();
    }

    void onShutdown(@Observes @Priority(1) ShutdownEvent event) {
        draining = true;
        closeAll();
    }

    private void closeAll() {
        List<GatewaySession> sessions = registry.allSessions();
        if (sessions.isEmpty()) {
            return;
        }
        LOG.infof("Shutting down: closing %d connections with 1001", sessions.size());
        List<Uni<Void>> closes = new ArrayList<>(sessions.size());
        for (GatewaySession session : sessions) {
            if (!session.connection().isClosed()) {
                Duration delay = reconnectDelay();
                CloseReason reason = CloseCodes.goingAway(delay);
                String hint = messages.reconnect(reason, delay.toMillis()).text();
                closes.add(session.connection().sendText(hint).onFailure().recoverWithNull()
                        .chain(() -> session.connection().close(reason)).onFailure().recoverWithNull());
            }
        }
        if (closes.isEmpty()) {
            return;
        }
        try {
            Uni.join().all(closes).andCollectFailures().await().atMost(closeTimeout);
            LOG.infof("All %d connections closed", sessions.size());
        } catch (RuntimeException e) {
            LOG.warnf("Not every connection answered the close within %s: %s", closeTimeout, e.getMessage());
        }
    }
}

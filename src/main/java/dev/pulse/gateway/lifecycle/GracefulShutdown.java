package dev.pulse.gateway.lifecycle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.protocol.CloseCodes;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.registry.GatewaySession;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;

/**
 * On SIGTERM, after the shutdown delay in which readiness already reports DOWN (so the load balancer stops sending new
 * connections here), every client gets close 1001 with a random reconnect delay in its reason, so they do not all
 * reconnect to the remaining replicas at the same instant.
 */
@ApplicationScoped
public class GracefulShutdown {

    private static final Logger LOG = Logger.getLogger(GracefulShutdown.class);
    /** Time allowed for the close frames to go out; well inside quarkus.shutdown.timeout. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private final ConnectionRegistry registry;
    private final long jitterMillis;

    public GracefulShutdown(ConnectionRegistry registry, PulseConfig config) {
        this.registry = registry;
        this.jitterMillis = Math.max(1, config.shutdown().reconnectJitter().toMillis());
    }

    void onShutdown(@Observes ShutdownEvent event) {
        List<GatewaySession> sessions = registry.allSessions();
        if (sessions.isEmpty()) {
            return;
        }
        LOG.infof("Shutting down: closing %d connections with 1001", sessions.size());
        List<Uni<Void>> closes = new ArrayList<>(sessions.size());
        for (GatewaySession session : sessions) {
            Duration reconnectIn = Duration.ofMillis(500 + ThreadLocalRandom.current().nextLong(jitterMillis));
            closes.add(session.connection().close(CloseCodes.goingAway(reconnectIn))
                    .onFailure().recoverWithNull());
        }
        try {
            Uni.join().all(closes).andCollectFailures().await().atMost(CLOSE_WAIT);
        } catch (RuntimeException e) {
            LOG.warnf("Not every connection could be closed within %s: %s", CLOSE_WAIT, e.getMessage());
        }
    }
}

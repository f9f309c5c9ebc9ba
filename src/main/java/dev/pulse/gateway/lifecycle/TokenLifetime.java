package dev.pulse.gateway.lifecycle;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.delivery.Delivery;
import dev.pulse.gateway.delivery.ServerClose;
import dev.pulse.gateway.protocol.CloseCodes;
import dev.pulse.gateway.protocol.ErrorCode;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.session.ConnectionLog;
import dev.pulse.gateway.session.GatewaySession;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Vertx;
import dev.pulse.gateway.security.TokenVerifier;
import dev.pulse.gateway.security.AuthenticationFailure;
import dev.pulse.gateway.security.GatewayPrincipal;

/**
 * A connection lives no longer than its token: when {@code exp} passes, it is closed with 4001 "Token expired"
 * unless the client sent {@code {"action":"refresh","token":"..."}} with a token of the same tenant and subject before
 * then. One Vert.x timer per connection, moved on each refresh.
 */
@ApplicationScoped
public class TokenLifetime {

    private static final Logger LOG = Logger.getLogger(TokenLifetime.class);

    private final Vertx vertx;
    private final TokenVerifier verifier;
    private final Delivery delivery;
    private final ServerClose closer;
    private final ServerMessages messages;
    private final Map<GatewaySession, Long> timers = new ConcurrentHashMap<>();
    private final Executor blocking = Infrastructure.getDefaultWorkerPool();
    private final Clock clock = Clock.systemUTC();

    public TokenLifetime(Vertx vertx, TokenVerifier verifier, Delivery delivery, ServerMessages messages,
            ServerClose closer) {
        this.vertx = vertx;
        this.closer = closer;
        this.verifier = verifier;
        this.delivery = delivery;
        this.messages = messages;
    }

    /** Starts watching a newly registered connection's token. */
    public void watch(GatewaySession session) {
        schedule(session, session.principal().expiresAt());
    }

    /** Stops watching a connection that ended. */
    public void forget(GatewaySession session) {
        Long timer = timers.remove(session);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
    }

    /**
     * Verifies a refresh token off the event loop. Same tenant and subject: the connection goes on with the new token
     * (and its expiry). Another tenant or subject, or no allowed role: closed with 4003. A token that fails
     * verification: an {@code invalid_token} error, and the current token stays in force.
     */
    public void refresh(GatewaySession session, String token) {
        blocking.execute(() -> {
            GatewayPrincipal next;
            try {
                next = verifier.verify(Optional.of(token));
            } catch (AuthenticationFailure failure) {
                if (failure.closeReason().getCode() == CloseCodes.UNAUTHORIZED.getCode()) {
                    close(session, CloseCodes.UNAUTHORIZED, "refresh without tenant or allowed role");
                } else {
                    delivery.send(session, messages.error(ErrorCode.INVALID_TOKEN,
                            "The refresh token is invalid or expired; the current token stays in force"));
                }
                return;
            }
            GatewayPrincipal current = session.principal();
            if (!next.tenant().equals(current.tenant()) || !next.subject().equals(current.subject())) {
                close(session, CloseCodes.UNAUTHORIZED, "refresh for another tenant or subject");
                return;
            }
            session.refreshed(next);
            schedule(session, next.expiresAt());
            delivery.send(session, messages.refreshed(next.expiresAt()));
        });
    }

    private void schedule(GatewaySession session, Instant expiresAt) {
        if (expiresAt == null || session.isClosed()) {
            return;
        }
        long delay = Math.max(1, Duration.between(clock.instant(), expiresAt).toMillis());
        long timer = vertx.setTimer(delay, id -> expire(session, id));
        Long previous = timers.put(session, timer);
        if (previous != null) {
            vertx.cancelTimer(previous);
        }
        if (session.isClosed()) {
            forget(session);
        }
    }

    private void expire(GatewaySession session, long timer) {
        if (timers.remove(session, timer)) {
            close(session, CloseCodes.TOKEN_EXPIRED, "token expired");
        }
    }

    private void close(GatewaySession session, io.quarkus.websockets.next.CloseReason reason, String why) {
        ConnectionLog.with(session, () -> LOG.infof("Connection %s closed: %s", session.id(), why));
        closer.close(session.connection(), reason);
    }
}

package dev.pulse.gateway.lifecycle;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executor;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.delivery.Delivery;
import dev.pulse.gateway.delivery.ServerClose;
import dev.pulse.gateway.protocol.CloseCodes;
import dev.pulse.gateway.protocol.ErrorCode;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.session.ConnectionLog;
import dev.pulse.gateway.session.GatewaySession;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import dev.pulse.gateway.security.TokenVerifier;
import dev.pulse.gateway.security.AuthenticationFailure;
import dev.pulse.gateway.security.GatewayPrincipal;

/**
 * A connection lives no longer than its token: when {@code exp} passes, it is closed with 4001 "Token expired"
 * unless the client sent {@code {"action":"refresh","token":"..."}} with a token of the same tenant and subject before
 * then.
 *
 * <p>One sweep a second over the open connections closes those whose token has expired, at most a second late. Not a
 * timer per connection: with tokens of an hour, a timer would wait almost the whole life of the connection and cost
 * every idle connection about 270 bytes (the timer, its task in the event loop's queue and its map entry), where the
 * sweep costs nothing per connection (the expiry is on its principal) and well under a millisecond a second at 20,000
 * connections.
 */
@ApplicationScoped
public class TokenLifetime {

    private static final Logger LOG = Logger.getLogger(TokenLifetime.class);

    private final ConnectionRegistry registry;
    private final TokenVerifier verifier;
    private final Delivery delivery;
    private final ServerClose closer;
    private final ServerMessages messages;
    private final Executor blocking = Infrastructure.getDefaultWorkerPool();
    private final Clock clock = Clock.systemUTC();

    public TokenLifetime(ConnectionRegistry registry, TokenVerifier verifier, Delivery delivery,
            ServerMessages messages, ServerClose closer) {
        this.registry = registry;
        this.closer = closer;
        this.verifier = verifier;
        this.delivery = delivery;
        this.messages = messages;
    }

    /**
     * Closes, once each, the open connections whose token has expired. A connection already closing for another
     * reason is left to that close.
     */
    @Scheduled(identity = "token-expiry", every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void closeExpired() {
        Instant now = clock.instant();
        for (GatewaySession session : registry.allSessions()) {
            Instant expiresAt = session.principal().expiresAt();
            if (expiresAt != null && !now.isBefore(expiresAt) && !session.isClosed()) {
                close(session, CloseCodes.TOKEN_EXPIRED, "token expired");
            }
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
            delivery.send(session, messages.refreshed(next.expiresAt()));
        });
    }

    /** Closes the connection, once: one that Pulse is closing already (for this or another reason) is left to it. */
    private void close(GatewaySession session, io.quarkus.websockets.next.CloseReason reason, String why) {
        if (!session.startClosing()) {
            return;
        }
        ConnectionLog.with(session, () -> LOG.infof("Connection %s closed: %s", session.id(), why));
        closer.close(session.connection(), reason);
    }
}

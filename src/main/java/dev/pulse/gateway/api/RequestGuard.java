package dev.pulse.gateway.api;

import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.NotAuthorizedException;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.security.AuthenticationFailure;
import dev.pulse.gateway.security.BearerTokens;
import dev.pulse.gateway.security.GatewayPrincipal;
import dev.pulse.gateway.security.TokenVerifier;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;

/**
 * What every HTTP request passes before a REST resource sees it, on the event loop, before a byte of its body is read:
 * <ul>
 * <li>a request with a body gets {@code pulse.http.body-timeout} to send all of it, or is answered 408 and its
 * connection closed (on HTTP/2, its stream reset);</li>
 * <li>on the REST paths, a declared body over the broadcast limit is answered 413, and the bearer token is verified
 * (the role and tenant each resource needs) before the request goes on: a request without a valid token is answered
 * 401 or 403 and its connection closed (on HTTP/2, its stream), its body never read.</li>
 * </ul>
 * Why here and not in the resources: a blocking resource reads its body on a worker thread before its own code runs,
 * so slow anonymous bodies could fill the worker pool that WebSocket authentication and the telemetry poller share.
 * Nothing here waits for a client on a worker thread; only the token check itself runs on one (it may fetch a JWKS),
 * and only for a token not verified recently: a remembered one is checked here, on the event loop, as a map lookup.
 */
@ApplicationScoped
public class RequestGuard {

    private static final Logger LOG = Logger.getLogger(RequestGuard.class);
    private static final String PRINCIPAL = "pulse.principal";
    /** RST_STREAM's code for "stop sending, nothing went wrong". */
    private static final long HTTP2_NO_ERROR = 0;
    /** Before the framework's own filters that do not care about Pulse's paths; any value would do. */
    private static final int PRIORITY = 100;

    /** What one REST path requires of its caller's token, and which counter hears about refusals. */
    private record Rule(Set<String> roles, boolean tenantRequired, long maxBodyBytes,
            BiConsumer<String, String> refusals) {
    }

    private final Vertx vertx;
    private final TokenVerifier verifier;
    private final ObjectMapper mapper;
    private final long bodyTimeoutMillis;
    private final Map<String, Rule> rules;

    public RequestGuard(Vertx vertx, TokenVerifier verifier, ObjectMapper mapper, GatewayMetrics metrics,
            PulseConfig config) {
        this.vertx = vertx;
        this.verifier = verifier;
        this.mapper = mapper;
        this.bodyTimeoutMillis = Math.max(1, config.http().bodyTimeout().toMillis());
        Set<String> statsRoles = new HashSet<>(config.stats().tenantAdminRoles());
        statsRoles.add(config.stats().platformAdminRole());
        this.rules = Map.of(
                BroadcastResource.PATH, new Rule(Set.copyOf(config.events().publisherRoles()), true,
                        config.events().maxPayloadBytes(), metrics::broadcastRequest),
                StatsResource.PATH, new Rule(Set.copyOf(statsRoles), false, 0, (outcome, tenant) -> { }));
    }

    void register(@Observes Filters filters) {
        filters.register(this::filter, PRIORITY);
    }

    /**
     * The caller verified for this request. Fails closed: a request that reached a guarded resource without passing
     * the guard (a path variant the rules missed) gets 401, never an unauthenticated call.
     */
    public static GatewayPrincipal principal(RoutingContext context) {
        GatewayPrincipal principal = context.get(PRINCIPAL);
        if (principal == null) {
            throw new NotAuthorizedException("Bearer");
        }
        return principal;
    }

    /**
     * The path as the REST layer matches it: without matrix parameters ({@code /ws/broadcast;x=1}) and without a
     * trailing slash, so that no variant of a guarded path slips past the rules.
     */
    static String routedPath(String normalized) {
        String path = normalized.indexOf(';') < 0 ? normalized : normalized.replaceAll(";[^/]*", "");
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    private void filter(RoutingContext context) {
        HttpServerRequest request = context.request();
        if (hasBody(request)) {
            armBodyDeadline(context);
        }
        Rule rule = rules.get(routedPath(context.normalizedPath()));
        if (rule == null) {
            context.next();
            return;
        }
        long declared = declaredLength(request);
        if (rule.maxBodyBytes() > 0 && declared > rule.maxBodyBytes()) {
            refuse(context, 413, "payload_too_large", "The body has " + declared + " bytes; the limit is "
                    + rule.maxBodyBytes());
            return;
        }
        Optional<String> token = BearerTokens.fromAuthorization(request.getHeader(HttpHeaders.AUTHORIZATION));
        if (token.isEmpty()) {
            rule.refusals().accept("unauthorized", null);
            refuseUnauthenticated(context, "Send Authorization: Bearer <token>");
            return;
        }
        GatewayPrincipal remembered;
        try {
            remembered = verifier.rememberedPrincipal(token.get(), rule.roles(), rule.tenantRequired());
        } catch (AuthenticationFailure failure) {
            refuse(context, rule, failure);
            return;
        }
        if (remembered != null) {
            context.put(PRINCIPAL, remembered);
            context.next();
            return;
        }
        request.pause();
        vertx.<GatewayPrincipal> executeBlocking(() -> verifier.verify(token, rule.roles(), rule.tenantRequired()),
                false).onComplete(verified -> {
                    if (context.response().ended() || context.response().closed()) {
                        return; // answered meanwhile (the body deadline) or gone
                    }
                    if (verified.succeeded()) {
                        context.put(PRINCIPAL, verified.result());
                        request.resume();
                        context.next();
                    } else if (verified.cause() instanceof AuthenticationFailure failure) {
                        refuse(context, rule, failure);
                    } else {
                        LOG.warnf(verified.cause(), "Token check of %s failed", context.normalizedPath());
                        refuse(context, 500, "internal_error", "The request could not be handled; try again");
                    }
                });
    }

    /** 403 for a token without tenant or allowed role (close code 4003), 401 for any other failed token. */
    private void refuse(RoutingContext context, Rule rule, AuthenticationFailure failure) {
        if (failure.closeReason().getCode() == 4003) {
            rule.refusals().accept("forbidden", null);
            refuse(context, 403, "forbidden", "The token has no tenant or no role allowed to do this");
        } else {
            rule.refusals().accept("unauthorized", null);
            refuseUnauthenticated(context, "Invalid or expired token");
        }
    }

    private void armBodyDeadline(RoutingContext context) {
        HttpServerRequest request = context.request();
        long timer = vertx.setTimer(bodyTimeoutMillis, fired -> {
            if (request.isEnded() || context.response().ended() || context.response().closed()) {
                return;
            }
            LOG.debugf("Request body of %s not complete after %d ms; closing", context.normalizedPath(),
                    bodyTimeoutMillis);
            if (context.response().headWritten()) {
                abandon(request);
            } else {
                refuse(context, 408, "request_timeout", "The request body did not arrive within "
                        + bodyTimeoutMillis + " ms");
            }
        });
        context.addEndHandler(ended -> vertx.cancelTimer(timer));
    }

    private void refuseUnauthenticated(RoutingContext context, String message) {
        context.response().putHeader("WWW-Authenticate", "Bearer");
        refuse(context, 401, "unauthorized", message);
    }

    /**
     * Answers with Pulse's error body, and the request body (if any) is never read. On HTTP/1.1 the connection is
     * closed, so it is not kept for another request that would first have to skip the unread body. On HTTP/2 only the
     * request's stream ends (reset if its body is still coming): the connection carries the caller's other requests,
     * which a refusal of this one must not cut off.
     */
    private void refuse(RoutingContext context, int status, String code, String message) {
        HttpServerResponse response = context.response();
        if (response.ended() || response.closed()) {
            return;
        }
        String body = mapper.createObjectNode().put("success", false).put("error", code).put("message", message)
                .toString();
        HttpServerRequest request = context.request();
        boolean http2 = request.version() == HttpVersion.HTTP_2;
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        if (!http2) {
            response.putHeader(HttpHeaders.CONNECTION, "close");
        }
        response.end(body).onComplete(done -> {
            if (!http2 || !request.isEnded()) {
                abandon(request);
            }
        });
    }

    /**
     * Stops a request whose body will not be read: on HTTP/2 its stream is reset (NO_ERROR after a complete answer,
     * as RFC 9113 section 8.1 allows; the other streams of the connection go on), on HTTP/1.1 the connection closes.
     */
    private static void abandon(HttpServerRequest request) {
        if (request.version() == HttpVersion.HTTP_2) {
            request.response().reset(HTTP2_NO_ERROR);
        } else {
            request.connection().close();
        }
    }

    private static boolean hasBody(HttpServerRequest request) {
        return declaredLength(request) > 0 || request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
    }

    private static long declaredLength(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return -1;
        }
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}

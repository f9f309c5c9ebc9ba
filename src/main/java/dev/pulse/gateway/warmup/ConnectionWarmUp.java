package dev.pulse.gateway.warmup;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.ObservesAsync;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.jboss.logging.Logger;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.security.AuthenticationFailure;
import dev.pulse.gateway.security.TokenVerifier;
import dev.pulse.gateway.security.WarmUpPasses;
import io.quarkus.runtime.ImageMode;
import io.quarkus.runtime.Startup;
import io.quarkus.vertx.http.HttpServerStart;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * Warms a starting replica's connect path before it reports ready ({@link WarmUpReadinessCheck}). A fresh JVM
 * interprets the code of a connection (the HTTP upgrade, websockets-next, admission, the commands, the replies) and
 * compiles it as it goes: measured, its first thousand clients cost about three times the CPU of later ones, and a
 * replica that becomes ready during a reconnect storm (a deploy, another replica lost) met it at a third of its speed.
 *
 * <p>So, once the HTTP server listens, the replica connects to itself over loopback {@code pulse.warm-up.connections}
 * times, as a dashboard does: each connection, admitted with a one-time pass ({@link WarmUpPasses}), subscribes to a
 * device and to the alerts of the reserved warm-up tenant, and closes once both are confirmed. As many token checks
 * run beside them, so that the verifier's code is compiled too without Pulse holding any issuer's private key: a token
 * signed with a key of the warm-up's own is accepted, and one whose RS256 signature cannot match is refused by the
 * configured key's RSA arithmetic. The warm-up never delays readiness past {@code pulse.warm-up.timeout}, and its
 * failure only leaves the replica cold.
 */
@Startup
@ApplicationScoped
public class ConnectionWarmUp {

    private static final Logger LOG = Logger.getLogger(ConnectionWarmUp.class);
    private static final String PATH = "/api/v2/ws";
    private static final int IN_FLIGHT = 32;
    private static final String SUBSCRIBED = "{\"type\":\"subscribed\"";
    private static final List<String> SUBSCRIPTIONS = List.of(
            "{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"warm-up\"}",
            "{\"action\":\"subscribe\",\"type\":\"alerts\"}");

    /** Where the warm-up stands; what {@link WarmUpReadinessCheck} reports. */
    public record Progress(boolean finished, int target, int confirmed, int tokenChecks, int databaseConnections,
            double seconds) {
    }

    private final Vertx vertx;
    private final Executor executor;
    private final JWTParser parser;
    private final TokenVerifier verifier;
    private final String issuer;
    private final String audience;
    private final String tenantClaim;
    private final String roleClaim;
    private final WarmUpPasses passes;
    private final int target;
    private final Duration timeout;
    private final String role;
    private final long startedAt = System.nanoTime();
    private final AtomicInteger confirmed = new AtomicInteger();
    private final AtomicInteger connectFailures = new AtomicInteger();
    private final AtomicInteger tokenChecks = new AtomicInteger();
    private final AtomicInteger databaseConnections = new AtomicInteger();
    private final Pool pool;
    private final int poolSize;
    private volatile boolean finished;
    private volatile boolean reportedTimeout;
    private volatile long finishedAt;

    public ConnectionWarmUp(Vertx vertx, ManagedExecutor executor, JWTParser parser, TokenVerifier verifier,
            JWTAuthContextInfo jwtSettings, WarmUpPasses passes, PulseConfig config, Pool pool,
            @ConfigProperty(name = "quarkus.datasource.reactive.max-size", defaultValue = "20") int poolSize) {
        this.pool = pool;
        this.poolSize = Math.max(0, poolSize);
        this.vertx = vertx;
        this.executor = executor;
        this.parser = parser;
        this.verifier = verifier;
        // JSON string values: the configured issuer and audience are URLs or names, never quotes or backslashes.
        this.issuer = jwtSettings.getIssuedBy();
        Set<String> audiences = jwtSettings.getExpectedAudience();
        this.audience = audiences == null || audiences.isEmpty() ? null : audiences.iterator().next();
        this.tenantClaim = config.auth().tenantClaim();
        this.roleClaim = config.auth().roleClaim();
        this.passes = passes;
        // A native executable is compiled ahead of time: there is nothing for the warm-up to compile.
        this.target = ImageMode.current().isNativeImage() ? 0 : Math.max(0, config.warmUp().connections());
        this.timeout = config.warmUp().timeout();
        List<String> roles = config.auth().roles();
        this.role = roles.isEmpty() ? "" : roles.get(0);
        this.finished = target == 0;
        this.finishedAt = startedAt;
    }

    /** Where the warm-up stands. Past {@code pulse.warm-up.timeout} from the start it counts as finished. */
    public Progress progress() {
        long now = System.nanoTime();
        boolean timedOut = !finished && now - startedAt >= timeout.toNanos();
        if (timedOut && !reportedTimeout) {
            reportedTimeout = true;
            LOG.warnf("Warm-up not done after %s (no plain HTTP listener, or too slow): ready without it", timeout);
        }
        boolean done = finished || timedOut;
        long end = finished ? finishedAt : now;
        return new Progress(done, target, confirmed.get(), tokenChecks.get(), databaseConnections.get(),
                (end - startedAt) / 1e9);
    }

    /** Runs once the HTTP server listens (Quarkus fires the event on a worker thread: this blocks, by design). */
    void warmUp(@ObservesAsync HttpServerStart start) {
        if (finished) {
            return;
        }
        int port = start.options().getPort();
        if (port <= 0) {
            LOG.warn("Warm-up skipped: it needs a fixed HTTP port (quarkus.http.port), not a random one");
            finishedAt = System.nanoTime();
            finished = true;
            return;
        }
        try {
            // Beside the connections: a fresh JVM's first token checks are slow, and the connections do not wait.
            CompletableFuture<Void> database = openDatabaseConnections();
            CompletableFuture<Void> tokens = CompletableFuture.runAsync(this::checkTokens, executor);
            connect(host(start.options()), port);
            tokens.get(Math.max(0, deadline() - System.nanoTime()), TimeUnit.NANOSECONDS);
            awaitDatabaseConnections(database);
        } catch (TimeoutException | ExecutionException e) {
            LOG.warnf(e, "Warm-up: the token checks did not finish");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warnf(e, "Warm-up stopped early; the replica starts less warm");
        } finally {
            passes.revokeAll();
            finishedAt = System.nanoTime();
            finished = true;
            Progress progress = progress();
            String summary = String.format(Locale.ROOT,
                    "Warm-up done in %.1f s: %d of %d connections subscribed (%d failed to connect), %d token checks,"
                            + " %d of %d PostgreSQL connections open",
                    progress.seconds(), progress.confirmed(), target, connectFailures.get(), progress.tokenChecks(),
                    progress.databaseConnections(), poolSize);
            if (progress.confirmed() < target) {
                // Its connections' own lines are not logged: this line is where a warm-up that fell short shows.
                LOG.warn(summary + "; the replica starts less warm (see the log above for a cause)");
            } else {
                LOG.info(summary);
            }
        }
    }

    private void awaitDatabaseConnections(CompletableFuture<Void> opened) throws InterruptedException {
        try {
            opened.get(Math.max(0, deadline() - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // Counted in the summary line: fewer open than the pool's size. The first reads open the rest.
        }
    }

    /**
     * Opens the PostgreSQL pool's connections, as many queries at once as it may hold. The pool opens them lazily, and
     * each costs a login: SCRAM's 4,096 rounds of PBKDF2, about 10 ms of CPU in the C1-only JVM. Unopened, they were
     * opened by the first alert reads of a reconnecting fleet, several at once (the profile of a fresh replica's
     * first 2,000 clients: up to 3 % of its CPU). PostgreSQL down only leaves them unopened.
     */
    private CompletableFuture<Void> openDatabaseConnections() {
        CompletableFuture<?>[] queries = new CompletableFuture<?>[poolSize];
        for (int i = 0; i < poolSize; i++) {
            queries[i] = pool.query("SELECT 1").execute().subscribeAsCompletionStage()
                    .thenRun(databaseConnections::incrementAndGet)
                    .exceptionally(failure -> null);
        }
        return CompletableFuture.allOf(queries);
    }

    /**
     * Runs the token verification both ways a client's token can take. A token signed with a key made for the
     * warm-up goes through all of {@link TokenVerifier} (format, signature, issuer, audience, expiry, claims) and is
     * accepted; one with an RS256 signature that cannot match goes through the configured key's RSA arithmetic in full
     * (its value is below any 2048-bit modulus) before the padding check refuses it.
     */
    private void checkTokens() {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        byte[] secret = new byte[32];
        ThreadLocalRandom.current().nextBytes(secret);
        SecretKey key = new SecretKeySpec(secret, "HmacSHA256");
        String rs256 = base64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String hs256 = base64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        byte[] signature = new byte[256];
        boolean accepted = true;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            for (int i = 0; i < target && System.nanoTime() < deadline(); i++) {
                String claims = base64.encodeToString(claims(i).getBytes(StandardCharsets.UTF_8));
                if (accepted) {
                    String signed = hs256 + "." + claims;
                    try {
                        verifier.verifyWarmUpToken(signed + "." + base64.encodeToString(
                                mac.doFinal(signed.getBytes(StandardCharsets.US_ASCII))), key);
                    } catch (AuthenticationFailure e) {
                        // Settings that ask for more than issuer, audience and expiry: the refusals still run.
                        LOG.infof("Warm-up: its own token was refused (%s); only refusals are warmed up",
                                e.getMessage());
                        accepted = false;
                    }
                }
                ThreadLocalRandom.current().nextBytes(signature);
                signature[0] = 0;
                try {
                    parser.parse(rs256 + "." + claims + "." + base64.encodeToString(signature));
                    LOG.warn("Warm-up: a token with a random signature verified; check the JWT verification settings");
                    return;
                } catch (ParseException expected) {
                    tokenChecks.incrementAndGet();
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The claims of the i-th warm-up token, as an issuer of this configuration would write them. */
    private String claims(int i) {
        long now = Instant.now().getEpochSecond();
        StringBuilder claims = new StringBuilder("{\"sub\":\"warm-up-").append(i).append('"');
        if (issuer != null) {
            claims.append(",\"iss\":\"").append(issuer).append('"');
        }
        if (audience != null) {
            claims.append(",\"aud\":\"").append(audience).append('"');
        }
        return claims.append(",\"iat\":").append(now).append(",\"exp\":").append(now + 600)
                .append(",\"").append(tenantClaim).append("\":\"warm-up-check\"")
                .append(",\"").append(roleClaim).append("\":\"").append(role).append("\"}").toString();
    }

    private void connect(String host, int port) throws InterruptedException {
        Instant expiresAt = Instant.now().plus(timeout);
        WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis())));
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        CountDownLatch ended = new CountDownLatch(target);
        try {
            for (int i = 0; i < target; i++) {
                if (!inFlight.tryAcquire(Math.max(0, deadline() - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    return;
                }
                String token = passes.issue("warm-up-" + i, role, expiresAt);
                Runnable end = () -> {
                    inFlight.release();
                    ended.countDown();
                };
                // No Origin header, as a backend client: pulse.auth.allowed-origins would refuse a made-up origin.
                client.connect(new WebSocketConnectOptions().setHost(host).setPort(port).setAllowOriginHeader(false)
                        .setURI(PATH + "?token=" + token)).onComplete(result -> {
                            if (result.failed()) {
                                if (connectFailures.getAndIncrement() == 0) {
                                    LOG.warnf("Warm-up: cannot connect to %s:%d%s: %s", host, port, PATH,
                                            result.cause().getMessage());
                                }
                                end.run();
                            } else {
                                subscribeThenClose(result.result(), end);
                            }
                        });
            }
            ended.await(Math.max(0, deadline() - System.nanoTime()), TimeUnit.NANOSECONDS);
        } finally {
            // Closed before the passes are revoked (by the caller), so that a handshake still in flight at the
            // timeout is not refused as an invalid token and counted among real authentication failures.
            try {
                client.close().toCompletionStage().toCompletableFuture().get(2, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                LOG.debugf("Warm-up client did not close cleanly: %s", e);
            }
        }
    }

    private long deadline() {
        return startedAt + timeout.toNanos();
    }

    private void subscribeThenClose(WebSocket socket, Runnable end) {
        AtomicInteger confirmations = new AtomicInteger();
        socket.closeHandler(ignored -> end.run());
        socket.textMessageHandler(text -> {
            if (text.startsWith(SUBSCRIBED) && confirmations.incrementAndGet() == SUBSCRIPTIONS.size()) {
                confirmed.incrementAndGet();
                socket.close();
            }
        });
        SUBSCRIPTIONS.forEach(socket::writeTextMessage);
    }

    /** The listener's address as seen from this process: a wildcard address is reached over loopback. */
    private static String host(HttpServerOptions options) {
        String host = options.getHost();
        return host == null || host.isBlank() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")
                ? "127.0.0.1"
                : host;
    }
}

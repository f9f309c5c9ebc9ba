package dev.pulse.gateway.cluster;

import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.observability.GatewayMetrics;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.pubsub.PgSubscriber;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnectOptions;
import dev.pulse.gateway.config.FrameworkSettings;

/**
 * PostgreSQL as the replicas' message bus: one dedicated LISTEN connection per replica (the reactive client's
 * subscriber, which reconnects by itself after PostgreSQL restarts) and NOTIFY through the ordinary pool. No new
 * infrastructure: PostgreSQL is already a dependency.
 */
@ApplicationScoped
public class PostgresBus {

    /** Events published on one replica, for the others. */
    public static final String EVENTS_CHANNEL = "pulse_events";
    /** Alert changes, from the trigger in {@code db/migration/V4__alert_notifications.sql}; the payload is the tenant id. */
    public static final String ALERTS_CHANNEL = "pulse_alerts";
    /** Poll results that the owner of a tenant read for the other replicas ({@link PollResultRelay}). */
    public static final String POLLS_CHANNEL = "pulse_polls";
    /** NOTIFY payloads must be shorter than 8000 bytes. */
    public static final int MAX_PAYLOAD_BYTES = 7999;

    private static final Logger LOG = Logger.getLogger(PostgresBus.class);
    private static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(5);

    private final Vertx vertx;
    private final Pool pool;
    private final GatewayMetrics metrics;
    private final boolean enabled;
    private final FrameworkSettings settings;
    private final Map<String, Consumer<String>> listeners = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Runnable> onListening = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.List<Runnable> connected = new java.util.concurrent.CopyOnWriteArrayList<>();
    private PgSubscriber subscriber;
    private volatile boolean stopped;

    private final ReplicaIdentity identity;

    public PostgresBus(Vertx vertx, Pool pool, GatewayMetrics metrics, FrameworkSettings settings,
            ReplicaIdentity identity, PulseConfig config) {
        this.settings = settings;
        this.identity = identity;
        this.vertx = vertx;
        this.pool = pool;
        this.metrics = metrics;
        this.enabled = config.cluster().enabled();
        metrics.clusterListening(this::listening);
    }

    public boolean enabled() {
        return enabled;
    }

    /**
     * Calls {@code listener} with each notification on {@code channel}, and {@code listening} each time the channel is
     * (again) listened to: after start-up and after every reconnect, when whatever was missed should be caught up.
     * Register before start-up completes.
     */
    public void listen(String channel, Consumer<String> listener, Runnable listening) {
        listeners.put(channel, listener);
        onListening.put(channel, listening);
    }

    /**
     * Calls {@code listening} each time this replica's LISTEN connection is (re)established, whatever the channel
     * (once per channel). Register before start-up completes.
     */
    public void onConnected(Runnable listening) {
        connected.add(listening);
    }

    /** After the listeners registered (a higher priority runs later). */
    void start(@Observes @Priority(Interceptor.Priority.LIBRARY_AFTER) StartupEvent started) {
        if (!enabled) {
            return;
        }
        PgConnectOptions options = PgConnectOptions.fromUri(settings.datasourceUrl());
        settings.datasourceUsername().ifPresent(options::setUser);
        settings.datasourcePassword().ifPresent(options::setPassword);
        // How the other replicas see this one as alive (PollOwnership): the name lives as long as the connection.
        options.addProperty("application_name", identity.applicationName());
        subscriber = PgSubscriber.subscriber(vertx, options);
        // Retried for as long as the replica runs: 0.2 s, doubling, at most 5 s apart.
        subscriber.reconnectPolicy(retries -> Math.min(MAX_RECONNECT_DELAY.toMillis(), 200L << Math.min(retries, 10)));
        listeners.forEach((channel, listener) -> subscriber.channel(channel)
                .handler(listener)
                .subscribeHandler(() -> {
                    LOG.infof("Listening to PostgreSQL channel %s", channel);
                    onListening.get(channel).run();
                    connected.forEach(Runnable::run);
                }));
        connect(0);
    }

    /** The subscriber retries lost connections itself, but not a first connect that fails. */
    private void connect(int attempt) {
        if (stopped) {
            return;
        }
        subscriber.connect().subscribe().with(ignored -> { }, failure -> {
            if (attempt == 0) {
                LOG.warnf("Cannot listen to PostgreSQL yet (%s); retrying", failure.getMessage());
            }
            long delay = Math.min(MAX_RECONNECT_DELAY.toMillis(), 200L << Math.min(attempt, 10));
            vertx.setTimer(delay, timer -> connect(attempt + 1));
        });
    }

    /** Whether this replica is listening now; notifications sent while it is not are lost to it. */
    public boolean listening() {
        return !enabled || (subscriber != null && subscriber.actualConnection() != null);
    }

    /** {@code NOTIFY channel, payload}; fails when PostgreSQL cannot be reached. */
    public Uni<Void> notify(String channel, String payload) {
        return pool.preparedQuery("SELECT pg_notify($1, $2)").execute(Tuple.of(channel, payload)).replaceWithVoid();
    }

    @PreDestroy
    void stop() {
        stopped = true;
        if (subscriber != null) {
            subscriber.close().subscribe().with(ignored -> { }, ignored -> { });
        }
    }
}

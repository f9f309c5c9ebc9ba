package dev.pulse.gateway.demo;

import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.events.EventPublisher;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import okhttp3.Credentials;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import dev.pulse.gateway.config.FrameworkSettings;

/**
 * Demo mode ({@code pulse.demo.enabled}, on in dev mode): a fleet of simulated devices of the demo tenant writes
 * telemetry to InfluxDB every second; alerts open in PostgreSQL when a device gets too hot or its battery low and
 * close when it recovers; and events go to the rooms {@code fleet} (a summary every ten seconds) and {@code devices}
 * (a device going offline or coming back). Everything goes through the real servers, so what the dashboard shows is
 * what Pulse really pushed.
 */
@ApplicationScoped
public class DemoSimulator {

    private static final Logger LOG = Logger.getLogger(DemoSimulator.class);
    private static final MediaType LINE_PROTOCOL = MediaType.get("text/plain; charset=utf-8");

    private final PulseConfig config;
    private final EventPublisher events;
    private final Vertx vertx;
    private final boolean enabled;
    private final FrameworkSettings settings;
    private DemoFleet fleet;
    private OkHttpClient http;
    private Request.Builder write;
    private Pool alerts;
    /**
     * Open alert ids by device and alert type (-1 while the INSERT runs), so each crossing opens one alert and each
     * recovery closes it. Concurrent: the ticks run on a worker thread, the INSERT callbacks on the event loop.
     */
    private final Map<String, Long> openAlerts = new ConcurrentHashMap<>();
    private final Map<String, Boolean> wasOnline = new HashMap<>();
    private long ticks;

    public DemoSimulator(PulseConfig config, EventPublisher events, Vertx vertx, FrameworkSettings settings) {
        this.settings = settings;
        this.config = config;
        this.events = events;
        this.vertx = vertx;
        this.enabled = config.demo().enabled();
    }

    void start(@Observes StartupEvent started) {
        if (!enabled) {
            return;
        }
        PulseConfig.Demo demo = config.demo();
        fleet = new DemoFleet(demo.devices(), 42);
        String user = demo.influxUsername().or(() -> config.influx().username()).orElse("");
        String password = demo.influxPassword().or(() -> config.influx().password()).orElse("");
        http = new OkHttpClient.Builder().callTimeout(2, TimeUnit.SECONDS).build();
        write = new Request.Builder().url(HttpUrl.get(config.influx().url()).newBuilder().addPathSegment("write")
                .addQueryParameter("db", config.influx().database()).addQueryParameter("precision", "ms").build())
                .header("Authorization", Credentials.basic(user, password));

        PgConnectOptions options = PgConnectOptions.fromUri(settings.datasourceUrl());
        options.setUser(demo.databaseUsername().or(settings::datasourceUsername).orElse(""));
        options.setPassword(demo.databasePassword().or(settings::datasourcePassword).orElse(""));
        alerts = Pool.newInstance(PgBuilder.pool().with(new PoolOptions().setMaxSize(2).setName("pulse-demo")).connectingTo(options)
                .using(vertx.getDelegate()).build());
        // Alerts a previous run left open would never close: this run does not know them.
        alerts.preparedQuery("UPDATE alerts SET status = 'CLOSED', updated_at = now() WHERE tenant_id = $1"
                + " AND status = 'OPEN' AND alert_type IN ('HIGH_TEMP', 'LOW_BATTERY')")
                .execute(Tuple.of(demo.tenant())).subscribe().with(ignored -> { }, failure -> LOG.warnf(
                        "Demo mode cannot write alerts (%s); set pulse.demo.database-username", failure.getMessage()));
        LOG.infof("Demo mode: %d devices of tenant %s (dev-01 ... dev-%02d); open http://localhost:%s/",
                demo.devices(), demo.tenant(), demo.devices(), settings.httpPort());
    }

    /** Runs on a worker thread: the InfluxDB write blocks. */
    @Scheduled(identity = "demo-fleet", every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        if (!enabled || fleet == null) {
            return;
        }
        fleet.tick();
        ticks++;
        writeTelemetry();
        for (DemoFleet.Device device : fleet.devices()) {
            crossing(device, "HIGH_TEMP", "CRITICAL", device.temperature() > DemoFleet.TOO_HOT,
                    device.temperature() < DemoFleet.COOL_AGAIN,
                    "Temperature " + device.temperature() + " °C above " + DemoFleet.TOO_HOT + " °C");
            crossing(device, "LOW_BATTERY", "WARNING", device.battery() < DemoFleet.LOW_BATTERY,
                    device.battery() >= DemoFleet.LOW_BATTERY, "Battery at " + device.battery() + " %");
            Boolean before = wasOnline.put(device.id(), device.online());
            if (before != null && before != device.online()) {
                events.publish(config.demo().tenant(), "device_status", Map.of("device_id", device.id(), "online",
                        device.online(), "message", device.id() + (device.online() ? " is back online"
                                : " went offline")), "demo", "devices");
            }
        }
        if (ticks % 10 == 0) {
            List<DemoFleet.Device> devices = fleet.devices();
            double average = devices.stream().mapToDouble(DemoFleet.Device::temperature).average().orElse(0);
            long online = devices.stream().filter(DemoFleet.Device::online).count();
            events.publish(config.demo().tenant(), "metrics_updated", Map.of("devices", devices.size(), "online",
                    online, "average_temperature", Math.round(average * 10) / 10.0), "demo", "fleet");
        }
    }

    private void writeTelemetry() {
        long now = Instant.now().toEpochMilli();
        StringBuilder lines = new StringBuilder();
        for (DemoFleet.Device device : fleet.devices()) {
            if (!device.online()) {
                // What a gateway reports for a device it lost: no readings, just the flag.
                lines.append(config.influx().measurement()).append(',').append(config.influx().tenantTag())
                        .append('=').append(config.demo().tenant()).append(',').append(config.influx().deviceTag())
                        .append('=').append(device.id()).append(" online=false,status=\"offline\" ").append(now)
                        .append('\n');
                continue;
            }
            lines.append(config.influx().measurement()).append(',').append(config.influx().tenantTag()).append('=')
                    .append(config.demo().tenant()).append(',').append(config.influx().deviceTag()).append('=')
                    .append(device.id()).append(" temperature=").append(device.temperature())
                    .append(",humidity=").append(device.humidity()).append(",battery=").append(device.battery())
                    .append("i,online=true,status=\"").append(device.status()).append("\" ").append(now)
                    .append('\n');
        }
        try (Response response = http.newCall(write.post(RequestBody.create(lines.toString(), LINE_PROTOCOL))
                .build()).execute()) {
            if (!response.isSuccessful() && ticks % 60 == 1) {
                LOG.warnf("Demo mode cannot write telemetry: HTTP %d (set pulse.demo.influx-username)",
                        response.code());
            }
        } catch (IOException e) {
            if (ticks % 60 == 1) {
                LOG.warnf("Demo mode cannot write telemetry: %s", e.getMessage());
            }
        }
    }

    /** Opens an alert when {@code bad} starts, closes it when {@code good} is reached. */
    private void crossing(DemoFleet.Device device, String type, String severity, boolean bad, boolean good,
            String summary) {
        String key = device.id() + "/" + type;
        if (bad && !openAlerts.containsKey(key)) {
            openAlerts.put(key, -1L);
            alerts.preparedQuery("INSERT INTO alerts (tenant_id, device_id, alert_type, severity, status, summary,"
                    + " details) VALUES ($1, $2, $3, $4, 'OPEN', $5, $6::jsonb) RETURNING id")
                    .execute(Tuple.of(config.demo().tenant(), device.id(), type, severity, summary,
                            "{\"temperature\":" + device.temperature() + ",\"battery\":" + device.battery() + "}"))
                    .subscribe().with(rows -> openAlerts.put(key, rows.iterator().next().getLong("id")),
                            failure -> openAlerts.remove(key));
        } else if (good && openAlerts.getOrDefault(key, -1L) > 0) {
            long id = openAlerts.remove(key);
            alerts.preparedQuery("UPDATE alerts SET status = 'CLOSED', updated_at = now() WHERE id = $1")
                    .execute(Tuple.of(id)).subscribe().with(ignored -> { }, failure -> { });
        }
    }

    @PreDestroy
    void stop() {
        if (alerts != null) {
            alerts.close().subscribe().with(ignored -> { }, ignored -> { });
        }
    }
}

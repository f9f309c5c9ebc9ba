package dev.pulse.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Scrape;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * The scale-out scenarios (issue 17), with replicas started as separate processes on this machine:
 * <ol>
 * <li>database queries per poll interval with 1, 2 and 3 replicas, each tenant's clients on every replica;</li>
 * <li>the relay's ceiling: events published to one replica at rising rates, delivered to room members on the two
 * others, so every event crosses PostgreSQL.</li>
 * </ol>
 * Works against a version of Pulse without shared polls too (--jar of an older build), for the before figures: the
 * ownership gauges are then absent and the harness waits three intervals instead.
 */
final class ClusterBench {

    private static final Duration INTERVAL = Duration.ofSeconds(2);
    private static final String RELAY_TENANT = "bench-relay";
    private static final String RELAY_ROOM = "relay";

    private final Vertx vertx;
    private final Tokens tokens;
    private final Map<String, String> environment;
    private final List<String> jvmOptions;
    private final Consumer<String> influxWrite;
    private final int seconds;
    private final HttpClient http;

    ClusterBench(Vertx vertx, Tokens tokens, Map<String, String> environment, List<String> jvmOptions,
            Consumer<String> influxWrite, int seconds) {
        this.vertx = vertx;
        this.tokens = tokens;
        this.environment = new LinkedHashMap<>(environment);
        this.environment.put("PULSE_TELEMETRY_POLL_INTERVAL", INTERVAL.toSeconds() + "s");
        this.environment.put("PULSE_ALERTS_POLL_INTERVAL", INTERVAL.toSeconds() + "s");
        this.jvmOptions = jvmOptions;
        this.influxWrite = influxWrite;
        this.seconds = seconds;
        this.http = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(32));
    }

    /** Queries per interval with 1, 2 and 3 replicas; then the relay's ceiling with the three. */
    Map<String, Object> run(int tenants, int[] relayRates) throws Exception {
        Map<String, Object> results = new LinkedHashMap<>();
        List<PackagedPulse> replicas = new ArrayList<>();
        List<Clients> clients = new ArrayList<>();
        String prefix = "bc-" + System.currentTimeMillis() % 100_000 + "-";
        StringBuilder points = new StringBuilder();
        long now = System.currentTimeMillis();
        for (int t = 0; t < tenants; t++) {
            points.append("telemetry,tenant_id=").append(prefix).append(t).append(",device_id=dev-0 temperature=20 ")
                    .append(now).append('\n');
        }
        influxWrite.accept(points.toString());
        try {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int r = 1; r <= 3; r++) {
                PackagedPulse replica = PackagedPulse.startPackaged("bench-replica-" + r, environment, jvmOptions);
                replicas.add(replica);
                AtomicInteger subscribed = new AtomicInteger();
                Clients onReplica = new Clients(vertx, tenants);
                clients.add(onReplica);
                onReplica.listen((client, text) -> {
                    if (text.startsWith("{\"type\":\"subscribed\",\"channel\":\"device\"")) {
                        subscribed.incrementAndGet();
                    }
                });
                onReplica.connect(replica.port(), tenants,
                        i -> "/api/v2/ws?token=" + tokens.sign(prefix + i, "bench-client", "customer_viewer"),
                        i -> List.of("{\"action\":\"subscribe\",\"type\":\"device\",\"device_ids\":[\"dev-0\"]}",
                                "{\"action\":\"subscribe\",\"type\":\"alerts\"}"));
                Bench.awaitCount(subscribed, tenants, Duration.ofMinutes(2));
                awaitSteady(replicas, tenants);
                double[] before = totals(replicas);
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (totals(replicas)[2] < before[2] + 5.0 * replicas.size() && System.nanoTime() < deadline) {
                    Bench.pause(200);
                }
                double[] after = totals(replicas);
                double intervals = (after[2] - before[2]) / replicas.size();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("replicas", r);
                row.put("tenants_watched", tenants);
                row.put("connections", tenants * r);
                row.put("influx_queries_per_interval", Bench.round((after[0] - before[0]) / intervals));
                row.put("postgres_queries_per_interval", Bench.round((after[1] - before[1]) / intervals));
                row.put("per_replica_polling_would_be", tenants * r);
                rows.add(row);
                System.out.println("cluster queries: " + row);
            }
            results.put("queries_per_interval", rows);
            clients.forEach(Clients::closeAll);
            results.put("relay", relay(replicas, relayRates));
        } finally {
            clients.forEach(Clients::closeAll);
            replicas.forEach(PackagedPulse::close);
        }
        return results;
    }

    /**
     * Events published to replica 1 at each rate for the phase's seconds; 10 room members on each of replicas 2
     * and 3. Delivered events per second per receiving replica, the share delivered, the latency from publishing to
     * receipt, and how many events shared one NOTIFY.
     */
    private List<Map<String, Object>> relay(List<PackagedPulse> replicas, int[] rates) throws Exception {
        int membersPerReplica = 10;
        String token = tokens.sign(RELAY_TENANT, "bench-relay-client", "customer_viewer");
        String publisher = tokens.sign(RELAY_TENANT, "bench-relay-publisher", "service");
        AtomicLong delivered = new AtomicLong();
        AtomicLong lastDelivery = new AtomicLong();
        AtomicInteger joined = new AtomicInteger();
        Latencies latencies = new Latencies();
        List<Clients> members = new ArrayList<>();
        for (PackagedPulse replica : replicas.subList(1, 3)) {
            Clients room = new Clients(vertx, membersPerReplica);
            members.add(room);
            room.listen((client, text) -> {
                if (text.contains("\"type\":\"joined\"")) {
                    joined.incrementAndGet();
                } else if (text.contains("\"relayed\"")) {
                    long sent = Bench.number(text, "\"t\":");
                    long at = System.nanoTime();
                    latencies.add((at - sent) / 1000);
                    delivered.incrementAndGet();
                    lastDelivery.set(at);
                }
            });
            room.connect(replica.port(), membersPerReplica, i -> "/ws/rooms/" + RELAY_ROOM + "?token=" + token,
                    i -> List.of());
        }
        Bench.awaitCount(joined, 2 * membersPerReplica, Duration.ofSeconds(60));
        PackagedPulse origin = replicas.get(0);
        List<Map<String, Object>> rows = new ArrayList<>();
        try {
            for (int rate : rates) {
                latencies.reset();
                delivered.set(0);
                Scrape before = Scrape.of(origin);
                AtomicInteger accepted = new AtomicInteger();
                AtomicInteger refused = new AtomicInteger();
                long started = System.nanoTime();
                int count = rate * seconds;
                List<CompletableFuture<?>> posts = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    long due = started + (long) (i * 1e9 / rate);
                    while (System.nanoTime() < due) {
                        Thread.onSpinWait();
                    }
                    posts.add(post(origin.port(), publisher, "{\"event_type\":\"bench\",\"room\":\"" + RELAY_ROOM
                            + "\",\"data\":{\"kind\":\"relayed\",\"t\":" + System.nanoTime() + "}}")
                            .thenAccept(status -> (status == 202 ? accepted : refused).incrementAndGet()));
                }
                double offeredSeconds = (System.nanoTime() - started) / 1e9;
                CompletableFuture.allOf(posts.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
                long expected = (long) accepted.get() * 2 * membersPerReplica;
                long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (delivered.get() < expected && System.nanoTime() < deadline
                        && System.nanoTime() - Math.max(lastDelivery.get(), started) < 2e9) {
                    Bench.pause(20);
                }
                double elapsed = Math.max(offeredSeconds, (lastDelivery.get() - started) / 1e9);
                Scrape after = Scrape.of(origin);
                double sent = after.value("pulse_cluster_events_total", "outcome=\"sent\"")
                        - before.value("pulse_cluster_events_total", "outcome=\"sent\"");
                double notifies = after.value("pulse_cluster_notifications_total", "channel=\"pulse_events\"")
                        - before.value("pulse_cluster_notifications_total", "channel=\"pulse_events\"");
                double[] summary = latencies.summary();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("offered_events_per_s", rate);
                row.put("accepted", accepted.get());
                row.put("refused", refused.get());
                row.put("delivered_share", Bench.round(delivered.get() / (double) Math.max(1, expected)));
                row.put("relayed_events_per_s", Bench.round(delivered.get() / (2.0 * membersPerReplica) / elapsed));
                row.put("latency_p50_ms", Bench.round(summary[0]));
                row.put("latency_p99_ms", Bench.round(summary[1]));
                row.put("events_per_notify", notifies > 0 ? Bench.round(sent / notifies) : 1.0);
                rows.add(row);
                System.out.println("cluster relay: " + row);
            }
        } finally {
            members.forEach(Clients::closeAll);
        }
        return rows;
    }

    /** Until every replica sees all of them and they own each tenant once (or, before shared polls, 3 intervals). */
    private static void awaitSteady(List<PackagedPulse> replicas, int tenants) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            double owned = 0;
            boolean steady = true;
            for (PackagedPulse replica : replicas) {
                Scrape scrape = Scrape.of(replica);
                if (!scrape.has("pulse_cluster_owned_tenants")) {
                    Bench.pause(3 * INTERVAL.toMillis());
                    return;
                }
                steady &= scrape.value("pulse_cluster_replicas") == replicas.size();
                owned += scrape.value("pulse_cluster_owned_tenants");
            }
            if (steady && owned == tenants) {
                Bench.pause(INTERVAL.toMillis());
                return;
            }
            Bench.pause(200);
        }
        throw new IllegalStateException("the replicas did not share the tenants out within a minute");
    }

    /** InfluxDB queries, PostgreSQL queries and InfluxDB poll cycles, summed over the replicas. */
    private static double[] totals(List<PackagedPulse> replicas) {
        double[] totals = new double[3];
        for (PackagedPulse replica : replicas) {
            Scrape scrape = Scrape.of(replica);
            totals[0] += scrape.value("pulse_source_queries_total", "source=\"influxdb\"");
            totals[1] += scrape.value("pulse_source_queries_total", "source=\"postgresql\"");
            totals[2] += scrape.value("pulse_poll_cycles_total", "source=\"influxdb\"");
        }
        return totals;
    }

    private CompletableFuture<Integer> post(int port, String token, String body) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                .setURI("/ws/broadcast").putHeader("Content-Type", "application/json")
                .putHeader("Authorization", "Bearer " + token);
        return http.request(options).compose(request -> request.send(Buffer.buffer(body)))
                .map(response -> response.statusCode()).toCompletionStage().toCompletableFuture()
                .exceptionally(failure -> -1);
    }
}

package dev.pulse.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Scrape;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.RequestOptions;

/**
 * The benchmark: starts Pulse from the packaged jar with a fixed heap against the local stack, runs the scenarios of
 * src/docs/benchmarks.md with its own load generator, prints a table, and writes
 * {@code target/bench/results.json} and {@code src/bench/BENCHMARKS.md}.
 *
 * <p>
 * Arguments: {@code --connections N} (default 10,000), {@code --devices M} (1,000), {@code --heap SIZE} (540m),
 * {@code --seconds S} per measured phase (15).
 */
public final class Bench {

    private static final String TENANT = "bench";
    private static final String ROOM = "fanout";
    private static final int FLOOR_PORT = 18_481;
    /** Broadcasts per second; at 10,000 recipients, 5 per second is already 50,000 messages per second. */
    /** Broadcasts per second of the fan-out phases (--rates 50,100,200 for a small room under overload). */
    private int[] broadcastRates = { 50, 100, 200, 400 };
    /** Tenants of the many-tenants scenario; each watches two devices and its alerts. */
    private static final int[] TENANT_COUNTS = { 10, 1_000, 5_000 };

    private final Path root = Path.of("").toAbsolutePath();
    private final Map<String, Object> results = new LinkedHashMap<>();
    private final Map<String, String> stack = new HashMap<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private int connections = 10_000;
    /** Members of the fan-out room: the first clients; the others join a room nobody publishes to. */
    private int room = 1_000;
    private int devices = 1_000;
    /**
     * The heap of the shipped jvm overlay (768 MiB limit, {@code JAVA_MAX_MEM_RATIO=70}), which the sizing rule of
     * src/docs/deployment.md gives up to about 20,000 connections: the capacity scenario's RSS growth is then that of a
     * heap sized for the load, not of an oversized one that G1 fills with young regions as it likes.
     */
    private String heap = "540m";
    private int seconds = 15;
    /** Extra environment for the Pulse process ({@code --env NAME=VALUE}), e.g. to measure a setting's effect. */
    private final Map<String, String> extraEnvironment = new LinkedHashMap<>();
    /** Scenarios to leave out ({@code --skip telemetry,alerts,floor}); capacity always runs: it connects the clients. */
    private final java.util.Set<String> skipped = new java.util.HashSet<>();
    /** {@code cluster}: only the scale-out scenarios (printed, BENCHMARKS.md left as it is). */
    private String only = "";
    /** Tenants of the scale-out scenario; each has a client on every replica. */
    private int clusterTenants = 100;
    /** Events per second published to one replica in the relay scenario. */
    private int[] relayRates = { 250, 500, 1000, 2000, 4000 };

    public static void main(String[] args) throws Exception {
        quietLogging();
        Bench bench = new Bench();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--connections" -> bench.connections = Integer.parseInt(args[i + 1]);
                case "--room" -> bench.room = Integer.parseInt(args[i + 1]);
                case "--devices" -> bench.devices = Integer.parseInt(args[i + 1]);
                case "--heap" -> bench.heap = args[i + 1];
                case "--seconds" -> bench.seconds = Integer.parseInt(args[i + 1]);
                case "--env" -> bench.extraEnvironment.put(args[i + 1].substring(0, args[i + 1].indexOf('=')),
                        args[i + 1].substring(args[i + 1].indexOf('=') + 1));
                case "--skip" -> bench.skipped.addAll(List.of(args[i + 1].split(",")));
                case "--only" -> bench.only = args[i + 1];
                case "--jar" -> System.setProperty("pulse.packaged.jar", args[i + 1]);
                case "--cluster-tenants" -> bench.clusterTenants = Integer.parseInt(args[i + 1]);
                case "--relay-rates" -> bench.relayRates = java.util.Arrays.stream(args[i + 1].split(","))
                        .mapToInt(Integer::parseInt).toArray();
                case "--rates" -> bench.broadcastRates = java.util.Arrays.stream(args[i + 1].split(","))
                        .mapToInt(Integer::parseInt).toArray();
                case "--jit" -> JIT = args[i + 1];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        bench.room = Math.min(bench.room, bench.connections);
        bench.run();
        System.exit(0);
    }

    private void run() throws Exception {
        readStackEnvironment();
        Tokens tokens = new Tokens();
        Path keyFile = tokens.writePublicKey(root.resolve("target/bench"));
        Map<String, String> environment = new HashMap<>(stack);
        environment.keySet().removeIf(name -> name.startsWith("PULSE_STACK_"));
        environment.put("MP_JWT_VERIFY_PUBLICKEY_LOCATION", "file:" + keyFile);
        environment.put("MP_JWT_VERIFY_ISSUER", Tokens.ISSUER);
        environment.put("MP_JWT_VERIFY_AUDIENCES", Tokens.AUDIENCE);
        environment.put("PULSE_CLUSTER_SECRET", "bench-cluster-secret-of-at-least-32-bytes");
        // Every generated client shares one subject; the prod profile's per-subject cap is for real users.
        environment.put("PULSE_LIMITS_CONNECTIONS_PER_SUBJECT", "0");
        environment.put("PULSE_LIMITS_CONNECTS_PER_SECOND", "0");
        environment.put("PULSE_TELEMETRY_POLL_INTERVAL", "5s");
        environment.put("PULSE_ALERTS_POLL_INTERVAL", "5s");
        environment.put("PULSE_LIMITS_DEVICES_PER_CONNECTION", "1000");
        // The warm-up as the prod profile has it (the test harness turns it off unless told otherwise).
        environment.put("PULSE_WARM_UP_CONNECTIONS", null);
        environment.putAll(extraEnvironment);
        results.put("settings", Map.of("connections", connections, "devices", devices, "heap", heap,
                "seconds_per_phase", seconds, "jvm_options", JIT, "telemetry_poll_interval", "5s", "alert_poll_interval", "5s",
                "extra_environment", extraEnvironment, "skipped", skipped));
        // The schema, as the migration Job would make it (a no-op when the tests have run on this stack).
        // An older build (--jar) runs on the schema as this one left it: its Flyway would refuse the newer history.
        PackagedPulse.MigrationRun migration = System.getProperty("pulse.packaged.jar") != null
                ? new PackagedPulse.MigrationRun(0, "")
                : PackagedPulse.migrate("bench-migrate", stack.get("PULSE_STACK_PG_SUPERUSER_URL"), "postgres",
                        stack.get("PULSE_STACK_PG_SUPERUSER_PASSWORD"));
        if (migration.exitCode() != 0) {
            throw new IllegalStateException("schema migration failed:\n" + migration.log());
        }
        closeBenchAlerts();

        List<String> coldTokens = "cluster".equals(only) ? List.of() : coldConnectTokens(tokens);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        if ("cluster".equals(only)) {
            results.put("cluster", cluster(vertx, tokens, environment));
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(results));
            vertx.close();
            return;
        }
        if (!skipped.contains("floor")) {
            // First, so that the load generator's own receive path is compiled before either server is measured
            // (the floor's first phase warms it); Pulse then starts fresh, as in production after a deploy.
            Process floor = startFloor();
            Clients raw = new Clients(vertx, room);
            try {
                warmColdConnectClients(vertx, tokens);
                raw.connect(FLOOR_PORT, room, i -> "/", i -> List.of());
                Publisher toFloor = event -> post(vertx, FLOOR_PORT, "/broadcast", null, event);
                warmUp(toFloor);
                fanout("floor", raw, toFloor, null, floor.pid());
            } finally {
                raw.closeAll();
                floor.destroy();
            }
            // Every socket to the floor released before Pulse's come: one process holds at most about 20,000.
            awaitCount(raw.closed, room, Duration.ofSeconds(60));
        }
        List<Map<String, Object>> coldRuns = new ArrayList<>();
        warmGeneratorOnPulse(vertx, environment, coldTokens);
        for (int run = 1; run < COLD_RUNS; run++) {
            long launched = System.nanoTime();
            try (PackagedPulse fresh = PackagedPulse.startPackaged("bench-pulse-cold-" + run, environment,
                    List.of("-Xms" + heap, "-Xmx" + heap, JIT))) {
                coldRuns.add(coldConnects(vertx, fresh, coldTokens, (System.nanoTime() - launched) / 1e9));
            }
        }
        Clients clients = new Clients(vertx, connections);
        long launched = System.nanoTime();
        try (PackagedPulse pulse = PackagedPulse.startPackaged("bench-pulse", environment,
                List.of("-Xms" + heap, "-Xmx" + heap, JIT))) {
            double readyAfter = (System.nanoTime() - launched) / 1e9;
            coldRuns.add(coldConnects(vertx, pulse, coldTokens, readyAfter));
            results.put("cold_connects", medianColdRun(coldRuns));
            capacity(pulse, clients, tokens);
            if (!skipped.contains("telemetry")) {
                telemetry(pulse, clients);
            }
            if (!skipped.contains("alerts")) {
                alerts(pulse, clients);
            }
            // The fan-out runs as the issue's scenario does: the room's members are the only connections.
            int closedBefore = clients.closed.get();
            int others = clients.closeFrom(room);
            awaitCount(clients.closed, closedBefore + others, Duration.ofSeconds(60));
            fanout("pulse", clients, event -> publish(vertx, tokens, pulse.port(), event), pulse, pulse.pid());
            clients.closeAll();
            if (!skipped.contains("tenants")) {
                awaitCount(clients.closed, connections, Duration.ofSeconds(60));
                tenants(vertx, pulse, tokens);
            }
        }
        if (!skipped.isEmpty()) {
            // A partial run is for comparing settings: print it, do not overwrite the published figures.
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(results));
            vertx.close();
            return;
        }
        results.put("cluster", cluster(vertx, tokens, environment));
        databaseLoad();
        report();
        vertx.close();
    }

    // --- scenarios -----------------------------------------------------------------------------------------------

    /** 8. Scale-out: queries per interval with 1, 2 and 3 replicas, and the relay's ceiling ({@link ClusterBench}). */
    private Map<String, Object> cluster(Vertx vertx, Tokens tokens, Map<String, String> environment) throws Exception {
        return new ClusterBench(vertx, tokens, environment, List.of("-Xms512m", "-Xmx512m", JIT), lines -> {
            try {
                influxWrite(lines);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, seconds).run(clusterTenants, relayRates);
    }

    /**
     * Before Pulse starts: the cold-connect clients' own code (handshakes with a token in the query, the subscribe
     * frames) compiled against the floor, so that the cold-connect figure measures a fresh Pulse, not a fresh
     * generator sharing its cores.
     */
    private void warmColdConnectClients(Vertx vertx, Tokens tokens) throws Exception {
        Clients clients = new Clients(vertx, COLD_CLIENTS);
        String token = tokens.sign("warm-generator", "warm-generator", "customer_viewer");
        clients.connect(FLOOR_PORT, COLD_CLIENTS, i -> "/api/v2/ws?token=" + token, i -> List.of(
                "{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"dev-" + (i % 2) + "\"}",
                "{\"action\":\"subscribe\",\"type\":\"alerts\"}"));
        clients.closeAll();
        awaitCount(clients.closed, COLD_CLIENTS, Duration.ofSeconds(60));
    }

    /**
     * Before the measured Pulse starts: the cold phase run against another Pulse process, stopped afterwards. The
     * floor answers neither the subscriptions nor with Pulse's headers, so after warming against it alone the
     * generator's JIT still recompiled its handshake, frame decoding and listener during the measured connects
     * (-XX:+PrintCompilation: 160 compilations in those 2.4 s; async-profiler: its C2 thread had over half of the
     * generator's samples, 0.8 ms of CPU per client with the process's threads on the cores Pulse shares).
     */
    private void warmGeneratorOnPulse(Vertx vertx, Map<String, String> environment, List<String> clientTokens)
            throws Exception {
        try (PackagedPulse throwaway = PackagedPulse.startPackaged("bench-generator-warm-up", environment,
                List.of("-Xms" + heap, "-Xmx" + heap, JIT))) {
            for (int round = 0; round < GENERATOR_WARM_ROUNDS; round++) {
                closeAndAwait(connectAndConfirm(vertx, throwaway.port(), clientTokens), clientTokens.size());
            }
        }
    }

    /**
     * 0. On the freshly started process: 2,000 clients of 10 tenants, each with a token of its own, connect and
     * subscribe to a device and to the alerts, 256 handshakes at a time; the rate at which their alert subscriptions are
     * confirmed, from the first connect.
     */
    private Map<String, Object> coldConnects(Vertx vertx, PackagedPulse pulse, List<String> clientTokens,
            double readyAfter) throws Exception {
        int clientCount = clientTokens.size();
        double serverCpuBefore = pulse.cpuSeconds();
        double generatorCpuBefore = PackagedPulse.cpuSeconds(ProcessHandle.current().pid());
        long started = System.nanoTime();
        Clients cold = connectAndConfirm(vertx, pulse.port(), clientTokens);
        double elapsed = (System.nanoTime() - started) / 1e9;
        double serverCpu = pulse.cpuSeconds() - serverCpuBefore;
        double generatorCpu = PackagedPulse.cpuSeconds(ProcessHandle.current().pid()) - generatorCpuBefore;
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("clients", clientCount);
        figures.put("tenants", COLD_TENANTS);
        figures.put("confirmed_per_s", round(clientCount / elapsed));
        figures.put("server_cpu_ms_per_client", round(serverCpu * 1e3 / clientCount));
        figures.put("generator_cpu_ms_per_client", round(generatorCpu * 1e3 / clientCount));
        figures.put("ready_after_s", round(readyAfter));
        figures.put("warm_up", warmUpReport(pulse));
        System.out.println("cold connects: " + figures);
        closeAndAwait(cold, clientCount);
        return figures;
    }

    /**
     * The cold phase's figures of the median run (by rate) of the freshly started processes, with every run's rate:
     * on this shared machine one fresh process's rate varies by a quarter from run to run (804 and 1,140 clients/s
     * for the same build, minutes apart), so one run says little.
     */
    private static Map<String, Object> medianColdRun(List<Map<String, Object>> runs) {
        List<Map<String, Object>> byRate = new ArrayList<>(runs);
        byRate.sort(java.util.Comparator.comparingDouble(run -> ((Number) run.get("confirmed_per_s")).doubleValue()));
        Map<String, Object> median = new LinkedHashMap<>(byRate.get(byRate.size() / 2));
        median.put("fresh_processes", runs.size());
        median.put("confirmed_per_s_of_each", runs.stream().map(run -> run.get("confirmed_per_s")).toList());
        System.out.println("cold connects, median of " + runs.size() + " fresh processes: " + median);
        return median;
    }

    /**
     * One client per token connects to {@code port} and subscribes to a device and to the alerts, 256 handshakes at a
     * time; returns the clients, open, once every alert subscription is confirmed.
     */
    private static Clients connectAndConfirm(Vertx vertx, int port, List<String> clientTokens) throws Exception {
        Clients cold = new Clients(vertx, clientTokens.size());
        AtomicInteger confirmed = new AtomicInteger();
        cold.listen((client, text) -> {
            if (text.startsWith("{\"type\":\"subscribed\",\"channel\":\"alerts\"")) {
                confirmed.incrementAndGet();
            }
        });
        cold.connect(port, clientTokens.size(), i -> "/api/v2/ws?token=" + clientTokens.get(i), i -> List.of(
                "{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"dev-" + (i % 2) + "\"}",
                "{\"action\":\"subscribe\",\"type\":\"alerts\"}"));
        awaitCount(confirmed, clientTokens.size(), Duration.ofMinutes(2));
        return cold;
    }

    private static void closeAndAwait(Clients clients, int count) throws Exception {
        clients.closeAll();
        awaitCount(clients.closed, count, Duration.ofSeconds(60));
    }

    /**
     * The cold phase's tokens, one per client, signed before anything is measured: 2,000 RSA signatures take the
     * generator a few seconds of CPU and set its JIT compiling, which, done after Pulse's start, overlapped the measured
     * connects on the shared cores (async-profiler: the generator's compiler threads had a third of its samples there).
     */
    private static List<String> coldConnectTokens(Tokens tokens) {
        String prefix = "cold-" + System.currentTimeMillis() % 100_000 + "-";
        List<String> clientTokens = new ArrayList<>(COLD_CLIENTS);
        for (int i = 0; i < COLD_CLIENTS; i++) {
            clientTokens.add(tokens.sign(prefix + (i % COLD_TENANTS), "cold-client-" + i, "customer_viewer"));
        }
        return clientTokens;
    }

    /** What the readiness check says of the warm-up ({@code pulse.warm-up.*}): its connections and duration. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> warmUpReport(PackagedPulse pulse) throws Exception {
        Map<String, Object> health = new ObjectMapper().readValue(pulse.body("/q/health/ready"), Map.class);
        for (Map<String, Object> check : (List<Map<String, Object>>) health.get("checks")) {
            if ("warm-up".equals(check.get("name"))) {
                return (Map<String, Object>) check.get("data");
            }
        }
        return Map.of();
    }

    /** 1. N authenticated connections, each watching one device and the alerts, the first {@link #room} in one room. */
    private void capacity(PackagedPulse pulse, Clients clients, Tokens tokens) throws Exception {
        double heapBefore = pulse.heapAfterGc();
        long rssBefore = pulse.residentKib() * 1024;
        AtomicInteger joined = new AtomicInteger();
        clients.listen((client, text) -> {
            if (text.startsWith("{\"type\":\"joined\"")) {
                joined.incrementAndGet();
            }
        });
        String token = tokens.sign(TENANT, "bench-client", "customer_viewer");
        long started = System.nanoTime();
        clients.connect(pulse.port(), connections, i -> "/api/v2/ws?token=" + token, i -> List.of(
                "{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"dev-" + (i % devices) + "\"}",
                "{\"action\":\"subscribe\",\"type\":\"alerts\"}",
                "{\"action\":\"join\",\"room\":\"" + (i < room ? ROOM : "idle") + "\"}"));
        awaitCount(joined, connections, Duration.ofMinutes(5));
        double elapsed = (System.nanoTime() - started) / 1e9;
        pause(3000);
        double heapAfter = pulse.heapAfterGc();
        long rssAfter = pulse.residentKib() * 1024;
        double cpuBefore = pulse.cpuSeconds();
        pause(seconds * 1000L);
        double idleCpu = (pulse.cpuSeconds() - cpuBefore) / seconds * 100;
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("connections", connections);
        figures.put("connect_rate_per_s", round(connections / elapsed));
        figures.put("rss_idle_mib", round(rssBefore / 1048576.0));
        figures.put("rss_loaded_mib", round(rssAfter / 1048576.0));
        figures.put("heap_per_connection_kib", round((heapAfter - heapBefore) / connections / 1024));
        figures.put("rss_per_connection_kib", round((rssAfter - rssBefore) / (double) connections / 1024));
        figures.put("idle_cpu_percent_of_one_core", round(idleCpu));
        results.put("capacity", figures);
        System.out.println("capacity: " + figures);
    }

    /** 3. M devices written every second; latency from the write to the subscriber. */
    private void telemetry(PackagedPulse pulse, Clients clients) throws Exception {
        Latencies latencies = new Latencies();
        clients.listen((client, text) -> {
            if (text.startsWith("{\"type\":\"telemetry\"")) {
                long sent = number(text, "\"t\":");
                if (sent > 0) {
                    latencies.add((System.nanoTime() - sent) / 1000);
                }
            }
        });
        double queriesBefore = Scrape.of(pulse).value("pulse_source_queries_total", "influxdb");
        double cyclesBefore = Scrape.of(pulse).value("pulse_poll_cycles_total", "influxdb");
        for (int second = 0; second < seconds * 2; second++) {
            long now = System.currentTimeMillis();
            StringBuilder lines = new StringBuilder();
            for (int d = 0; d < devices; d++) {
                lines.append("telemetry,tenant_id=").append(TENANT).append(",device_id=dev-").append(d)
                        .append(" temperature=").append(20 + (d % 10)).append(",t=").append(System.nanoTime())
                        .append("i ").append(now).append('\n');
            }
            influxWrite(lines.toString());
            pause(1000);
        }
        pause(2000);
        double queries = Scrape.of(pulse).value("pulse_source_queries_total", "influxdb") - queriesBefore;
        double cycles = Scrape.of(pulse).value("pulse_poll_cycles_total", "influxdb") - cyclesBefore;
        double[] summary = latencies.summary();
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("devices", devices);
        figures.put("subscribers", connections);
        figures.put("pushes", latencies.count());
        figures.put("latency_p50_ms", round(summary[0]));
        figures.put("latency_p99_ms", round(summary[1]));
        figures.put("latency_max_ms", round(summary[2]));
        figures.put("influx_queries_per_interval", round(queries / Math.max(1, cycles)));
        results.put("telemetry", figures);
        System.out.println("telemetry: " + figures);
    }

    /** 4. Alert inserts; latency from the committed INSERT to each subscriber. */
    private void alerts(PackagedPulse pulse, Clients clients) throws Exception {
        Latencies latencies = new Latencies();
        long[] lastSeen = new long[connections];
        clients.listen((client, text) -> {
            if (text.startsWith("{\"type\":\"alerts\"")) {
                long sent = number(text, "\"summary\":\"bench-");
                if (sent > 0 && lastSeen[client] != sent) {
                    lastSeen[client] = sent;
                    latencies.add((System.nanoTime() - sent) / 1000);
                }
            }
        });
        double queriesBefore = Scrape.of(pulse).value("pulse_source_queries_total", "postgresql");
        int changes = seconds * 2;
        try (Connection db = database()) {
            long previous = -1;
            for (int i = 0; i < changes; i++) {
                long id = insertAlert(db);
                if (previous > 0) {
                    db.createStatement().execute("UPDATE alerts SET status = 'CLOSED' WHERE id = " + previous);
                }
                previous = id;
                pause(1000);
            }
        }
        pause(2000);
        double queries = Scrape.of(pulse).value("pulse_source_queries_total", "postgresql") - queriesBefore;
        // The steady load: queries per alert poll cycle with nothing changing (two 5 s cycles).
        double idleQueriesBefore = Scrape.of(pulse).value("pulse_source_queries_total", "postgresql");
        double idleCyclesBefore = Scrape.of(pulse).value("pulse_poll_cycles_total", "postgresql");
        pause(10_500);
        double idleQueries = Scrape.of(pulse).value("pulse_source_queries_total", "postgresql") - idleQueriesBefore;
        double idleCycles = Scrape.of(pulse).value("pulse_poll_cycles_total", "postgresql") - idleCyclesBefore;
        double[] summary = latencies.summary();
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("changes", changes);
        figures.put("subscribers", connections);
        figures.put("deliveries", latencies.count());
        figures.put("latency_p50_ms", round(summary[0]));
        figures.put("latency_p99_ms", round(summary[1]));
        figures.put("latency_max_ms", round(summary[2]));
        figures.put("postgres_queries", queries);
        figures.put("postgres_queries_per_interval", round(idleQueries / Math.max(1, idleCycles)));
        results.put("alerts", figures);
        System.out.println("alerts: " + figures);
    }

    /** Unmeasured: 10 s of broadcasts at 100/s, then time for the clients to read them. */
    private void warmUp(Publisher publisher) throws Exception {
        long started = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            long due = started + i * 10_000_000L;
            while (System.nanoTime() < due) {
                pause(1);
            }
            publisher.publish("{\"event_type\":\"bench\",\"room\":\"" + ROOM + "\",\"data\":{\"kind\":\"warm-up\"}}");
        }
        pause(3000);
    }

    /**
     * The JVM image's compiler setting (src/main/docker/Dockerfile.jvm): Pulse is measured as it ships, unless
     * {@code --jit OPTION} names another (to measure what the setting costs or saves).
     */
    static String JIT = "-XX:TieredStopAtLevel=1";
    private static final int COLD_CLIENTS = 2_000;
    private static final int COLD_TENANTS = 10;
    /** Rounds of the cold phase against a throwaway Pulse before the measured ones start. */
    private static final int GENERATOR_WARM_ROUNDS = 3;
    /** Freshly started Pulse processes the cold phase runs on; the last one goes on with the other scenarios. */
    private static final int COLD_RUNS = 3;

    /** A publisher: takes the event text (with its send time) and delivers it to every client. */
    private interface Publisher {
        CompletableFuture<?> publish(String eventJson);
    }

    /** 2 and 6. Broadcasts at increasing rates to a room of N clients. */
    /**
     * @param pulse the server under test, to read its own view of the delay (publish to write, from
     *        {@code pulse_delivery_delay_seconds}) beside the clients' one; null for the floor
     * @param serverPid the server's process, whose CPU time per delivered message is reported beside the load
     *        generator's (both share the machine's cores, so what one spends the other lacks)
     */
    private void fanout(String target, Clients clients, Publisher publisher, PackagedPulse pulse, long serverPid)
            throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        AtomicReference<Latencies> window = new AtomicReference<>(new Latencies());
        AtomicLong delivered = new AtomicLong();
        AtomicLong lastDelivery = new AtomicLong();
        clients.listen((client, text) -> {
            long sent = number(text, "\"t\":");
            if (sent > 0 && text.contains("\"fanout\"")) {
                long now = System.nanoTime();
                window.get().add((now - sent) / 1000);
                delivered.incrementAndGet();
                lastDelivery.set(now);
            }
        });
        int closedBefore = clients.closed.get();
        for (int rate : broadcastRates) {
            Latencies latencies = new Latencies();
            window.set(latencies);
            delivered.set(0);
            Scrape serverBefore = pulse == null ? null : Scrape.of(pulse);
            double serverCpuBefore = PackagedPulse.cpuSeconds(serverPid);
            double generatorCpuBefore = PackagedPulse.cpuSeconds(ProcessHandle.current().pid());
            long started = System.nanoTime();
            int count = rate * seconds;
            for (int i = 0; i < count; i++) {
                long due = started + (long) (i * 1e9 / rate);
                while (System.nanoTime() < due) {
                    pause(1);
                }
                publisher.publish("{\"event_type\":\"bench\",\"room\":\"" + ROOM + "\",\"data\":{\"kind\":\"fanout\","
                        + "\"t\":" + System.nanoTime() + "}}");
            }
            long expected = (long) count * room;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            // Until everything arrived, or nothing more for a second (refused events never come).
            while (delivered.get() < expected && System.nanoTime() < deadline
                    && System.nanoTime() - Math.max(lastDelivery.get(), started + (long) (count * 1e9 / rate)) < 1e9) {
                pause(20);
            }
            double elapsed = (Math.max(lastDelivery.get(), started) - started) / 1e9;
            double serverCpu = PackagedPulse.cpuSeconds(serverPid) - serverCpuBefore;
            double generatorCpu = PackagedPulse.cpuSeconds(ProcessHandle.current().pid()) - generatorCpuBefore;
            double[] summary = latencies.summary();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("broadcasts_per_s", rate);
            row.put("recipients", room);
            row.put("offered_messages_per_s", rate * room);
            row.put("delivered", delivered.get());
            row.put("delivered_share", round(delivered.get() / (double) expected));
            row.put("delivered_messages_per_s", round(delivered.get() / elapsed));
            row.put("latency_p50_ms", round(summary[0]));
            row.put("latency_p99_ms", round(summary[1]));
            row.put("latency_max_ms", round(summary[2]));
            row.put("server_cpu_us_per_message", round(serverCpu * 1e6 / Math.max(1, delivered.get())));
            row.put("generator_cpu_us_per_message", round(generatorCpu * 1e6 / Math.max(1, delivered.get())));
            if (pulse != null) {
                // Pulse's own view: from accepting the event to writing it to each connection (bucket upper bounds).
                Scrape serverAfter = Scrape.of(pulse);
                row.put("server_delay_p50_ms_at_most", serverDelayQuantile(serverBefore, serverAfter, 0.5));
                row.put("server_delay_p99_ms_at_most", serverDelayQuantile(serverBefore, serverAfter, 0.99));
                row.put("refused_broadcasts", round(serverAfter.value("pulse_events_throttled_total")
                        - serverBefore.value("pulse_events_throttled_total")));
            }
            rows.add(row);
            System.out.println("fanout " + target + ": " + row);
        }
        results.put("fanout_" + target, rows);
        results.put("fanout_" + target + "_closed_connections", clients.closed.get() - closedBefore);
    }

    /**
     * 7. Many tenants: connections spread over N tenants (at least 1,000 connections), each tenant's two devices
     * written every second. The telemetry poll cycle (tenants read in parallel) and the alert poll cycle, their
     * queries per interval, and the latency from write to receipt.
     */
    private void tenants(Vertx vertx, PackagedPulse pulse, Tokens tokens) throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int tenantCount : TENANT_COUNTS) {
            int clientCount = Math.max(tenantCount, 1_000);
            String prefix = "bt" + tenantCount + "-" + System.currentTimeMillis() % 100_000 + "-";
            Map<Integer, String> tokenByTenant = new HashMap<>();
            for (int t = 0; t < tenantCount; t++) {
                tokenByTenant.put(t, tokens.sign(prefix + t, "bench-client", "customer_viewer"));
            }
            Latencies latencies = new Latencies();
            AtomicInteger subscribed = new AtomicInteger();
            Clients clients = new Clients(vertx, clientCount);
            clients.listen((client, text) -> {
                if (text.startsWith("{\"type\":\"subscribed\",\"channel\":\"device\"")) {
                    subscribed.incrementAndGet();
                } else if (text.startsWith("{\"type\":\"telemetry\"")) {
                    long sent = number(text, "\"t\":");
                    if (sent > 0) {
                        latencies.add((System.nanoTime() - sent) / 1000);
                    }
                }
            });
            clients.connect(pulse.port(), clientCount, i -> "/api/v2/ws?token=" + tokenByTenant.get(i % tenantCount),
                    i -> List.of("{\"action\":\"subscribe\",\"type\":\"device\",\"device_ids\":[\"dev-0\",\"dev-1\"]}",
                            "{\"action\":\"subscribe\",\"type\":\"alerts\"}"));
            awaitCount(subscribed, clientCount, Duration.ofMinutes(5));
            pause(2000);
            double[] influxBefore = pollFigures(pulse, "influxdb");
            double[] postgresBefore = pollFigures(pulse, "postgresql");
            double influxMax = 0;
            double postgresMax = 0;
            latencies.reset();
            for (int second = 0; second < seconds * 2; second++) {
                long now = System.currentTimeMillis();
                StringBuilder lines = new StringBuilder();
                for (int t = 0; t < tenantCount; t++) {
                    for (int d = 0; d < 2; d++) {
                        lines.append("telemetry,tenant_id=").append(prefix).append(t).append(",device_id=dev-")
                                .append(d).append(" temperature=").append(20 + d).append(",t=")
                                .append(System.nanoTime()).append("i ").append(now).append('\n');
                    }
                }
                influxWrite(lines.toString());
                pause(1000);
                influxMax = Math.max(influxMax, Scrape.of(pulse).value("pulse_poll_duration_seconds_max", "influxdb"));
                postgresMax = Math.max(postgresMax, Scrape.of(pulse).value("pulse_poll_duration_seconds_max", "postgresql"));
            }
            pause(2000);
            double[] influx = delta(pollFigures(pulse, "influxdb"), influxBefore);
            double[] postgres = delta(pollFigures(pulse, "postgresql"), postgresBefore);
            double[] summary = latencies.summary();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("tenants", tenantCount);
            row.put("connections", clientCount);
            row.put("watched_devices", 2 * tenantCount);
            // A cycle longer than the phase ends in none of it: say so, rather than a mean of 0 ms and the phase's
            // queries as if they were one interval's.
            row.put("telemetry_cycle_mean_ms", influx[0] == 0 ? "none ended in the phase"
                    : round(influx[1] * 1000 / influx[0]));
            // The max is Micrometer's rolling window (about two minutes): with no cycle ended here, the phase before's.
            row.put("telemetry_cycle_max_ms", influx[0] == 0 ? "-" : round(influxMax * 1000));
            row.put("influx_queries_per_interval", influx[0] == 0 ? round(influx[2]) + " in the phase"
                    : round(influx[2] / influx[0]));
            row.put("telemetry_pushes", latencies.count());
            row.put("telemetry_latency_p50_ms", round(summary[0]));
            row.put("telemetry_latency_p99_ms", round(summary[1]));
            row.put("telemetry_latency_max_ms", round(summary[2]));
            row.put("alert_cycle_mean_ms", postgres[0] == 0 ? "none ended in the phase"
                    : round(postgres[1] * 1000 / postgres[0]));
            row.put("alert_cycle_max_ms", postgres[0] == 0 ? "-" : round(postgresMax * 1000));
            row.put("postgres_queries_per_interval", postgres[0] == 0 ? round(postgres[2]) + " in the phase"
                    : round(postgres[2] / postgres[0]));
            rows.add(row);
            System.out.println("tenants: " + row);
            clients.closeAll();
            awaitCount(clients.closed, clientCount, Duration.ofSeconds(60));
        }
        results.put("tenants", rows);
    }

    /** Poll cycles, seconds spent in them, and queries sent, of one source, as counted by Pulse. */
    private static double[] pollFigures(PackagedPulse pulse, String source) {
        Scrape metrics = Scrape.of(pulse);
        return new double[] { metrics.value("pulse_poll_duration_seconds_count", source),
                metrics.value("pulse_poll_duration_seconds_sum", source),
                metrics.value("pulse_source_queries_total", source) };
    }

    private static double[] delta(double[] after, double[] before) {
        double[] delta = new double[after.length];
        for (int i = 0; i < after.length; i++) {
            delta[i] = after[i] - before[i];
        }
        return delta;
    }

    /** 5. Pulse's measured queries per interval against the per-connection polling design, from the counts. */
    @SuppressWarnings("unchecked")
    private void databaseLoad() {
        Map<String, Object> telemetry = (Map<String, Object>) results.get("telemetry");
        Map<String, Object> alerts = (Map<String, Object>) results.get("alerts");
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("per_connection_design_influx_queries_per_interval", connections);
        figures.put("per_connection_design_postgres_queries_per_interval", connections);
        figures.put("pulse_influx_queries_per_interval", telemetry.get("influx_queries_per_interval"));
        figures.put("pulse_postgres_queries_per_interval", alerts.get("postgres_queries_per_interval"));
        results.put("database_load", figures);
    }

    /** The upper bound (ms) of the histogram bucket that holds quantile {@code q} of the events written meanwhile. */
    private static double serverDelayQuantile(Scrape before, Scrape after, double q) {
        String bucket = "pulse_delivery_delay_seconds_bucket";
        double total = after.value(bucket, "type=\"event\"", "le=\"+Inf\"")
                - before.value(bucket, "type=\"event\"", "le=\"+Inf\"");
        for (double le : new double[] { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0 }) {
            String label = "le=\"" + le + "\"";
            double within = after.value(bucket, "type=\"event\"", label) - before.value(bucket, "type=\"event\"", label);
            if (total > 0 && within >= q * total) {
                return le * 1000;
            }
        }
        return Double.POSITIVE_INFINITY;
    }

    private CompletableFuture<?> publish(Vertx vertx, Tokens tokens, int port, String body) {
        String token = serviceTokens.computeIfAbsent(TENANT, t -> tokens.sign(t, "bench-publisher", "service"));
        return post(vertx, port, "/ws/broadcast", token, body);
    }

    private CompletableFuture<?> post(Vertx vertx, int port, String path, String token, String body) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                .setURI(path).putHeader("Content-Type", "application/json");
        if (token != null) {
            options.putHeader("Authorization", "Bearer " + token);
        }
        return publisherClient(vertx).request(options).compose(request -> request.send(Buffer.buffer(body)))
                .toCompletionStage().toCompletableFuture();
    }

    /** The raw server in its own JVM: one process holds at most about 20,000 sockets here. */
    private Process startFloor() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                RawFanoutServer.class.getName(), Integer.toString(FLOOR_PORT)).redirectErrorStream(true)
                .redirectOutput(root.resolve("target/bench/floor.log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.readString(root.resolve("target/bench/floor.log")).contains("listening")) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the floor server did not start; see target/bench/floor.log");
            }
            pause(100);
        }
        return process;
    }

    private final Map<String, String> serviceTokens = new HashMap<>();
    private io.vertx.core.http.HttpClient publisher;

    private io.vertx.core.http.HttpClient publisherClient(Vertx vertx) {
        if (publisher == null) {
            publisher = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(16));
        }
        return publisher;
    }

    // --- output --------------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private void report() throws Exception {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("date", LocalDate.now().toString());
        machine.put("cpus", Runtime.getRuntime().availableProcessors());
        machine.put("memory_gib", round(Files.readAllLines(Path.of("/proc/meminfo")).stream()
                .filter(l -> l.startsWith("MemTotal")).mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                .findFirst().orElse(0) / 1048576.0));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        results.put("machine", machine);
        Files.writeString(root.resolve("target/bench/results.json"), new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(results));

        Map<String, Object> capacity = (Map<String, Object>) results.get("capacity");
        Map<String, Object> telemetry = (Map<String, Object>) results.get("telemetry");
        Map<String, Object> alerts = (Map<String, Object>) results.get("alerts");
        Map<String, Object> load = (Map<String, Object>) results.get("database_load");
        List<Map<String, Object>> pulseRows = (List<Map<String, Object>>) results.get("fanout_pulse");
        List<Map<String, Object>> floorRows = (List<Map<String, Object>>) results.get("fanout_floor");
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Written by `src/scripts/bench.sh` (").append(machine.get("date")).append("): ")
                .append(machine.get("cpus")).append(" CPUs, ").append(machine.get("memory_gib")).append(" GiB, ")
                .append(machine.get("os")).append(", ").append(machine.get("jdk")).append(". Pulse from the packaged ")
                .append("jar with `-Xms").append(heap).append(" -Xmx").append(heap).append(" ").append(JIT).append("` (as the JVM image runs it); the load generator in one JVM and ")
                .append("the floor server in another, all on the same machine with PostgreSQL 15 and InfluxDB 1.6.7. ")
                .append("Telemetry poll 5 s, alert poll 5 s; ").append(seconds).append(" s per measured phase. ")
                .append("Raw figures: `target/bench/results.json`.\n\n");
        Map<String, Object> cold = (Map<String, Object>) results.get("cold_connects");
        Map<String, Object> warmUp = (Map<String, Object>) cold.get("warm_up");
        md.append("## Cold connects\n\nOn the freshly started process, as soon as it reports ready (")
                .append(cold.get("ready_after_s")).append(" s after launch, of which the warm-up of ")
                .append(warmUp.get("connections")).append(" connections to itself took ").append(warmUp.get("seconds"))
                .append(" s), ").append(cold.get("clients")).append(" clients of ").append(cold.get("tenants"))
                .append(" tenants, each with its own token, connect (256 handshakes at a time) and subscribe to a ")
                .append("device and to the alerts: **").append(cold.get("confirmed_per_s"))
                .append(" clients/s** with both subscriptions confirmed, from the first connect to the last ")
                .append("confirmation: the median of ").append(cold.get("fresh_processes"))
                .append(" freshly started processes, which gave ").append(cold.get("confirmed_per_s_of_each"))
                .append(" clients/s (the generator first ran the same phase against another Pulse process, so that ")
                .append("its own code is compiled). CPU per client in the median run: Pulse ")
                .append(cold.get("server_cpu_ms_per_client"))
                .append(" ms, the load generator ").append(cold.get("generator_cpu_ms_per_client"))
                .append(" ms; both share the 2 cores.\n\n");
        md.append("## Capacity\n\n| connections | connect rate /s | heap per connection | RSS idle → loaded | RSS per ")
                .append("connection | idle CPU (one core) |\n|---|---|---|---|---|---|\n");
        md.append(String.format(Locale.ROOT, "| %s | %s | %s KiB | %s → %s MiB | %s KiB | %s %% |%n%n",
                capacity.get("connections"), capacity.get("connect_rate_per_s"),
                capacity.get("heap_per_connection_kib"), capacity.get("rss_idle_mib"), capacity.get("rss_loaded_mib"),
                capacity.get("rss_per_connection_kib"), capacity.get("idle_cpu_percent_of_one_core")));
        md.append("Each connection watches one device (of ").append(devices).append("), subscribes to alerts and joins ")
                .append("a room (the first ").append(room).append(" the fan-out room), all of tenant `bench`.\n\n");
        md.append("## Fan-out: one room of ").append(room).append(" clients, `POST /ws/broadcast`\n\n")
                .append("| broadcasts/s | offered msg/s | Pulse delivered msg/s | floor delivered msg/s | Pulse / floor ")
                .append("| Pulse p50 / p99 / max ms | floor p50 / p99 / max ms | Pulse's own p99 (publish to write) ")
                .append("| broadcasts refused (429) | CPU µs per message: Pulse / floor | generator's, beside Pulse / floor |\n")
                .append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (int i = 0; i < pulseRows.size(); i++) {
            Map<String, Object> p = pulseRows.get(i);
            Map<String, Object> f = floorRows.get(i);
            double ratio = ((Number) p.get("delivered_messages_per_s")).doubleValue()
                    / Math.max(1, ((Number) f.get("delivered_messages_per_s")).doubleValue());
            md.append(String.format(Locale.ROOT,
                    "| %s | %s | %s | %s | %.0f %% | %s / %s / %s | %s / %s / %s | ≤ %s ms | %s | %s / %s | %s / %s |%n",
                    p.get("broadcasts_per_s"), p.get("offered_messages_per_s"), p.get("delivered_messages_per_s"),
                    f.get("delivered_messages_per_s"), ratio * 100, p.get("latency_p50_ms"), p.get("latency_p99_ms"),
                    p.get("latency_max_ms"), f.get("latency_p50_ms"), f.get("latency_p99_ms"),
                    f.get("latency_max_ms"), p.get("server_delay_p99_ms_at_most"), p.get("refused_broadcasts"),
                    p.get("server_cpu_us_per_message"), f.get("server_cpu_us_per_message"),
                    p.get("generator_cpu_us_per_message"), f.get("generator_cpu_us_per_message")));
        }
        md.append("\nThe other connections are closed first: the room's members are the only ones. The floor ran first, ")
                .append("after an unmeasured warm-up of the generator; Pulse's phases follow the capacity, telemetry and ")
                .append("alert phases. Delivered msg/s is from the first publish to the last receipt. ")
                .append("Latency is from the publish call to the client's receipt, one clock (the generator's). ")
                .append("CPU per message is the process's user and system time over the phase divided by the messages ")
                .append("delivered; the server and the generator share the 2 cores, so what one spends the other lacks. ")
                .append("Connections Pulse closed during fan-out (slow consumers): ")
                .append(results.get("fanout_pulse_closed_connections")).append(".\n\n");
        md.append("## Telemetry and alerts\n\n| scenario | pushes | p50 ms | p99 ms | max ms | queries |\n")
                .append("|---|---|---|---|---|---|\n");
        md.append(String.format(Locale.ROOT, "| telemetry: %s devices written every second, %s subscribers | %s | %s "
                + "| %s | %s | %s InfluxDB queries per poll interval |%n", telemetry.get("devices"),
                telemetry.get("subscribers"), telemetry.get("pushes"), telemetry.get("latency_p50_ms"),
                telemetry.get("latency_p99_ms"), telemetry.get("latency_max_ms"),
                telemetry.get("influx_queries_per_interval")));
        md.append(String.format(Locale.ROOT, "| alerts: %s changes, %s subscribers | %s | %s | %s | %s | %s "
                + "PostgreSQL queries during the changes (re-reads after each notification) |%n%n", alerts.get("changes"), alerts.get("subscribers"),
                alerts.get("deliveries"), alerts.get("latency_p50_ms"), alerts.get("latency_p99_ms"),
                alerts.get("latency_max_ms"), alerts.get("postgres_queries")));
        md.append("Telemetry latency is from the write to InfluxDB to the client, so it includes the wait for the next ")
                .append("poll (5 s). Alert latency is from the committed INSERT to each of the subscribers.\n\n");
        md.append("## Database load against the per-connection polling design\n\n")
                .append("| | InfluxDB queries per interval | PostgreSQL queries per interval |\n|---|---|---|\n");
        md.append(String.format(Locale.ROOT, "| per-connection polling (seed 004), computed | %s | %s |%n",
                load.get("per_connection_design_influx_queries_per_interval"),
                load.get("per_connection_design_postgres_queries_per_interval")));
        md.append(String.format(Locale.ROOT, "| Pulse, measured | %s | %s |%n", load.get("pulse_influx_queries_per_interval"),
                load.get("pulse_postgres_queries_per_interval")));
        md.append("\nPulse reads each tenant once per interval, in batches of `pulse.telemetry.max-devices-per-query` ")
                .append("(200) devices: ").append(devices).append(" watched devices of one tenant are ")
                .append((devices + 199) / 200).append(" queries.\n");
        List<Map<String, Object>> tenantRows = (List<Map<String, Object>>) results.get("tenants");
        if (tenantRows != null) {
            md.append("\n## Many tenants\n\n| tenants | connections | watched devices | telemetry cycle mean / max ms ")
                    .append("| InfluxDB queries per interval | telemetry p50 / p99 / max ms | alert cycle mean / max ms ")
                    .append("| PostgreSQL queries per interval |\n|---|---|---|---|---|---|---|---|\n");
            for (Map<String, Object> row : tenantRows) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s / %s | %s | %s / %s / %s | %s / %s | %s |%n",
                        row.get("tenants"), row.get("connections"), row.get("watched_devices"),
                        row.get("telemetry_cycle_mean_ms"), row.get("telemetry_cycle_max_ms"),
                        row.get("influx_queries_per_interval"), row.get("telemetry_latency_p50_ms"),
                        row.get("telemetry_latency_p99_ms"), row.get("telemetry_latency_max_ms"),
                        row.get("alert_cycle_mean_ms"), row.get("alert_cycle_max_ms"),
                        row.get("postgres_queries_per_interval")));
            }
            md.append("\nEach tenant watches two devices (written every second) and its alerts; connections are spread ")
                    .append("over the tenants. The telemetry poller reads tenants in parallel ")
                    .append("(`pulse.telemetry.poll-concurrency`, 8 queries in flight), the alert poller 4 tenants at a ")
                    .append("time; cycle times are Pulse's own `pulse_poll_duration_seconds` (mean over the phase; the ")
                    .append("max is Micrometer's rolling window of about two minutes, so it may include the phase ")
                    .append("before). Queries per interval include the first reads after the subscribes. Telemetry ")
                    .append("poll 5 s, alert poll 5 s.\n");
        }
        Map<String, Object> cluster = (Map<String, Object>) results.get("cluster");
        if (cluster != null) {
            md.append("\n## Scale-out: replicas as separate processes\n\n")
                    .append("| replicas | tenants watched | connections | InfluxDB queries per interval | PostgreSQL ")
                    .append("queries per interval | one poll per replica would be |\n|---|---|---|---|---|---|\n");
            for (Map<String, Object> row : (List<Map<String, Object>>) cluster.get("queries_per_interval")) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", row.get("replicas"),
                        row.get("tenants_watched"), row.get("connections"), row.get("influx_queries_per_interval"),
                        row.get("postgres_queries_per_interval"), row.get("per_replica_polling_would_be")));
            }
            md.append("\nEach tenant has one client (a device and its alerts) on every replica; poll intervals 2 s; ")
                    .append("queries summed over the replicas, per interval.\n\n")
                    .append("| events/s offered to replica 1 | accepted | refused | delivered share | relayed events/s ")
                    .append("| p50 / p99 ms | events per NOTIFY |\n|---|---|---|---|---|---|---|\n");
            for (Map<String, Object> row : (List<Map<String, Object>>) cluster.get("relay")) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s / %s | %s |%n",
                        row.get("offered_events_per_s"), row.get("accepted"), row.get("refused"),
                        row.get("delivered_share"), row.get("relayed_events_per_s"), row.get("latency_p50_ms"),
                        row.get("latency_p99_ms"), row.get("events_per_notify")));
            }
            md.append("\nEvents published to replica 1, delivered to 10 room members on each of replicas 2 and 3, so ")
                    .append("every event crosses PostgreSQL. Relayed events/s is per receiving replica, from the first ")
                    .append("publish to the last receipt; latency is from the publish call to the receipt.\n");
        }
        Files.writeString(root.resolve("src/bench/BENCHMARKS.md"), md.toString());
        System.out.println();
        System.out.println(md);
    }

    // --- helpers -------------------------------------------------------------------------------------------------

    private void readStackEnvironment() throws Exception {
        Process env = new ProcessBuilder("bash", root.resolve("src/scripts/stack.sh").toString(), "env", "test")
                .start();
        for (String line : new String(env.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("export ")) {
                String pair = line.substring(7);
                stack.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
            }
        }
        env.waitFor();
    }

    private void influxWrite(String lines) throws Exception {
        String basic = Base64.getEncoder().encodeToString((stack.get("PULSE_STACK_INFLUX_ADMIN_USER") + ":"
                + stack.get("PULSE_STACK_INFLUX_ADMIN_PASSWORD")).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(stack.get("PULSE_INFLUX_URL")
                + "/write?db=" + stack.get("PULSE_INFLUX_DATABASE") + "&precision=ms"))
                .header("Authorization", "Basic " + basic).POST(HttpRequest.BodyPublishers.ofString(lines)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException("InfluxDB write failed: " + response.statusCode() + " " + response.body());
        }
    }

    private Connection database() throws Exception {
        return DriverManager.getConnection(stack.get("PULSE_STACK_PG_SUPERUSER_URL"), "postgres",
                stack.get("PULSE_STACK_PG_SUPERUSER_PASSWORD"));
    }

    private long insertAlert(Connection db) throws Exception {
        try (PreparedStatement insert = db.prepareStatement("INSERT INTO alerts (tenant_id, device_id, alert_type,"
                + " severity, status, summary) VALUES (?, 'dev-1', 'BENCH', 'WARNING', 'OPEN', ?) RETURNING id")) {
            insert.setString(1, TENANT);
            insert.setString(2, "bench-" + System.nanoTime());
            try (ResultSet rows = insert.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private void closeBenchAlerts() throws Exception {
        try (Connection db = database()) {
            db.createStatement().execute("UPDATE alerts SET status = 'CLOSED' WHERE tenant_id = '" + TENANT + "'");
        }
    }

    static void awaitCount(AtomicInteger counter, int target, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (counter.get() < target) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + counter.get() + " of " + target + " after " + timeout);
            }
            pause(50);
        }
    }

    /**
     * Sets the root logger of the generator's (and the floor's) JVM to INFO. Their classpath, the tests', routes SLF4J,
     * which Netty and Vert.x log through, to JBoss LogManager, whose loggers start with every level enabled: Netty's
     * WebSocket decoder then built a TRACE record for every frame received, for the handler to drop. That was 17 % of
     * the generator's CPU in a profile at 400 broadcasts/s, CPU the server beside it on the same 2 cores lacked.
     */
    static void quietLogging() {
        // As the application sets it, before anything touches java.util.logging (JBoss LogManager complains otherwise).
        System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        org.jboss.logmanager.LogContext.getLogContext().getLogger("").setLevel(java.util.logging.Level.INFO);
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The digits after {@code key} in {@code text}, or -1: cheaper than parsing every message. */
    static long number(String text, String key) {
        int at = text.indexOf(key);
        if (at < 0) {
            return -1;
        }
        long value = 0;
        boolean any = false;
        for (int i = at + key.length(); i < text.length() && Character.isDigit(text.charAt(i)); i++) {
            value = value * 10 + (text.charAt(i) - '0');
            any = true;
        }
        return any ? value : -1;
    }

    static double round(double value) {
        return Math.round(value * 10) / 10.0;
    }
}

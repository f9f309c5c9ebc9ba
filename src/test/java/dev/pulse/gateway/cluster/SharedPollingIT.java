package dev.pulse.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * Three replicas of the packaged application, 30 tenants, each tenant's clients spread over all three (on every
 * replica, a client of each tenant watches a shared device, a device only that replica's client watches, and the
 * alerts). The replicas share the reads out: InfluxDB and PostgreSQL
 * queries per interval, summed over the replicas, equal the tenants watched, not three times that; and every client
 * still gets every tenant's points and alert lists, through the relay, which carries them encrypted. Then the replica
 * that owns the most tenants is killed with SIGKILL: the clients on the other two get the next point of every tenant
 * within two intervals. Then the survivor that owns the most is paused with SIGSTOP (its database connection stays
 * open, as for a replica cut off by the network): the last replica's clients get the next point and alert change
 * within two intervals. No client gets any point twice, also after the paused replica resumes.
 */
class SharedPollingIT {

    private static final int TENANTS = 30;
    /**
     * The production default. A point written just after a poll waits up to an interval plus a cycle for the next
     * one, takeover or not; at shorter intervals, that fixed cost of a loaded 2-core machine (the cycle, JIT) leaves
     * too little of the two-interval bound to tell takeover apart from load.
     */
    private static final Duration INTERVAL = Duration.ofSeconds(5);
    private static final Map<String, String> POLL_EVERY_INTERVAL = Map.of(
            "PULSE_TELEMETRY_POLL_INTERVAL", INTERVAL.toSeconds() + "s",
            "PULSE_ALERTS_POLL_INTERVAL", INTERVAL.toSeconds() + "s",
            // Takeovers in the replicas' logs (target/shared-poll-*.log), for when this test fails.
            "QUARKUS_LOG_CATEGORY__DEV_PULSE_GATEWAY_CLUSTER__LEVEL", "DEBUG");
    /** Scrapes of three replicas are not simultaneous, and a cycle may run while they are read. */
    private static final double TOLERANCE = 0.15;

    private record Client(int replica, String tenant, WsClient socket) {
    }

    @Test
    void eachTenantIsReadOnceClusterWideAndAnotherReplicaTakesOverWhenItsOwnerIsKilled() {
        List<PackagedPulse> replicas = new ArrayList<>();
        List<Client> clients = new ArrayList<>();
        try {
            for (String name : List.of("shared-poll-a", "shared-poll-b", "shared-poll-c")) {
                replicas.add(PackagedPulse.startPackaged(name, POLL_EVERY_INTERVAL));
            }
            List<String> tenants = new ArrayList<>();
            List<Instant> sent = new ArrayList<>();
            for (int i = 0; i < TENANTS; i++) {
                String tenant = Tokens.newTenant();
                tenants.add(tenant);
                Instant first = Instant.now();
                writePoint(tenant, first);
                sent.add(first);
                Stack.insertAlert(tenant, "dev-1", "HIGH_TEMP", "OPEN", "first");
            }
            for (String tenant : tenants) {
                for (int r = 0; r < replicas.size(); r++) {
                    WsClient socket = WsClient.connect(replicas.get(r).ws("/api/v2/ws", Tokens.valid(tenant)));
                    clients.add(new Client(r, tenant, socket));
                    socket.send(Frames.subscribeDevice("dev-1"));
                    // A device only this replica's client watches: the owner must read the union.
                    socket.send(Frames.subscribeDevice("only-" + r));
                    socket.send(Frames.subscribeAlerts());
                }
            }
            for (Client client : clients) {
                client.socket().await(point(sent.get(tenants.indexOf(client.tenant()))));
                client.socket().awaitType("alerts");
            }

            // Every replica sees the three (and any other replica of the test database: the suite's
            // @QuarkusIntegrationTest application is one, and owns none of these tenants, which it does not watch),
            // and between them they own each tenant once.
            double[] members = new double[1];
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                double owned = 0;
                Set<Double> seen = new HashSet<>();
                for (PackagedPulse replica : replicas) {
                    Scrape scrape = Scrape.of(replica);
                    if (scrape.value("pulse_cluster_replicas") < 3
                            || scrape.value("pulse_cluster_shared_polling") != 1) {
                        return false;
                    }
                    seen.add(scrape.value("pulse_cluster_replicas"));
                    owned += scrape.value("pulse_cluster_owned_tenants");
                }
                members[0] = seen.iterator().next();
                return seen.size() == 1 && owned == TENANTS;
            });
            assertThat(replicas.get(0).body("/q/health/ready")).contains("poll-ownership").contains("shared");

            // Queries per interval: once per tenant cluster-wide, not once per replica.
            double[] before = totals(replicas);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> totals(replicas)[2] >= before[2] + 3 * 5);
            double[] after = totals(replicas);
            double intervals = (after[2] - before[2]) / replicas.size();
            double influxPerInterval = (after[0] - before[0]) / intervals;
            double postgresPerInterval = (after[1] - before[1]) / intervals;
            System.out.printf("[shared-polling] %d tenants, 3 replicas: %.1f InfluxDB and %.1f PostgreSQL queries per"
                    + " interval%n", TENANTS, influxPerInterval, postgresPerInterval);
            assertThat(influxPerInterval).as("InfluxDB queries per interval").isBetween(TENANTS * (1 - TOLERANCE),
                    TENANTS * (1 + TOLERANCE));
            assertThat(postgresPerInterval).as("PostgreSQL queries per interval").isBetween(TENANTS * (1 - TOLERANCE),
                    TENANTS * (1 + TOLERANCE));

            // Points and alert changes read by one replica reach the clients of all three; what crosses PostgreSQL
            // is encrypted (any role that can log in may LISTEN).
            Instant second = Instant.now();
            long alert;
            try (Connection listener = Stack.gatewayRole(); Statement listen = listener.createStatement()) {
                listen.execute("LISTEN " + PostgresBus.POLLS_CHANNEL);
                for (String tenant : tenants) {
                    writePoint(tenant, second);
                    for (int r = 0; r < replicas.size(); r++) {
                        writePoint(tenant, "only-" + r, second);
                    }
                }
                alert = Stack.insertAlert(tenants.get(0), "dev-1", "LOW_BATTERY", "OPEN", "battery-secret-summary");
                for (Client client : clients) {
                    client.socket().await(point("dev-1", second), Duration.ofSeconds(3 * INTERVAL.toSeconds()));
                    client.socket().await(point("only-" + client.replica(), second),
                            Duration.ofSeconds(3 * INTERVAL.toSeconds()));
                }
                for (Client client : clients.stream().filter(c -> c.tenant().equals(tenants.get(0))).toList()) {
                    client.socket().await(alertsContaining(alert), Duration.ofSeconds(3 * INTERVAL.toSeconds()));
                }
                PGNotification[] heard = listener.unwrap(PGConnection.class).getNotifications(1000);
                assertThat(heard).isNotEmpty();
                for (PGNotification notification : heard) {
                    assertThat(notification.getParameter()).doesNotContain(tenants.get(0))
                            .doesNotContain("battery-secret-summary").doesNotContain(Long.toString(
                                    second.toEpochMilli()));
                }
            }

            // SIGKILL the replica that reads the most tenants; the others take its tenants over.
            int victim = 0;
            double most = -1;
            for (int r = 0; r < replicas.size(); r++) {
                double owned = Scrape.of(replicas.get(r)).value("pulse_cluster_owned_tenants");
                if (owned > most) {
                    most = owned;
                    victim = r;
                }
            }
            assertThat(most).isPositive();
            PackagedPulse killed = replicas.get(victim);
            signal("KILL", killed);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !killed.isAlive());
            long killedAt = System.nanoTime();
            Instant third = Instant.now();
            tenants.forEach(tenant -> writePoint(tenant, third));
            long deadline = System.nanoTime() + 2 * INTERVAL.toNanos();
            int survivorsChecked = 0;
            for (Client client : clients) {
                if (client.replica() == victim) {
                    continue;
                }
                Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
                client.socket().await(point(third), left);
                survivorsChecked++;
            }
            assertThat(survivorsChecked).isEqualTo(TENANTS * 2);
            System.out.printf("[shared-polling] after SIGKILL of the owner of %.0f tenants, every client of the other"
                    + " replicas had the next point after %d ms (interval %d ms)%n", most,
                    Duration.ofNanos(System.nanoTime() - killedAt).toMillis(), INTERVAL.toMillis());

            assertNoPointTwice(clients, victim, tenants, sent, second, third);
            int survivor = victim == 0 ? 1 : 0;
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(
                    () -> Scrape.of(replicas.get(survivor)).value("pulse_cluster_replicas") == members[0] - 1);

            // SIGSTOP the surviving replica that reads the most tenants: PostgreSQL keeps its connection open, as for
            // a replica cut off by the network, but its heartbeat lapses, and the last replica takes its tenants
            // over: points and an alert change reach that replica's clients within two intervals.
            int paused = -1;
            most = -1;
            for (int r = 0; r < replicas.size(); r++) {
                if (r != victim) {
                    double owned = Scrape.of(replicas.get(r)).value("pulse_cluster_owned_tenants");
                    if (owned > most) {
                        most = owned;
                        paused = r;
                    }
                }
            }
            int last = 3 - victim - paused;
            signal("STOP", replicas.get(paused));
            try {
                long pausedAt = System.nanoTime();
                Instant fourth = Instant.now();
                tenants.forEach(tenant -> writePoint(tenant, fourth));
                long change = Stack.insertAlert(tenants.get(0), "dev-1", "DOOR_OPEN", "OPEN", "while paused");
                long pauseDeadline = pausedAt + 2 * INTERVAL.toNanos();
                for (Client client : clients) {
                    if (client.replica() == last) {
                        client.socket().await(point(fourth),
                                Duration.ofNanos(Math.max(1, pauseDeadline - System.nanoTime())));
                        if (client.tenant().equals(tenants.get(0))) {
                            client.socket().await(alertsContaining(change),
                                    Duration.ofNanos(Math.max(1, pauseDeadline - System.nanoTime())));
                        }
                    }
                }
                System.out.printf("[shared-polling] after SIGSTOP of the owner of %.0f tenants, every client of the"
                        + " last replica had the next point and alert change after %d ms (interval %d ms)%n", most,
                        Duration.ofNanos(System.nanoTime() - pausedAt).toMillis(), INTERVAL.toMillis());
                sent.add(fourth);
            } finally {
                signal("CONT", replicas.get(paused));
            }
            // Back: the paused replica's stale reads are not delivered twice either.
            PackagedPulse resumed = replicas.get(paused);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(
                    () -> Scrape.of(resumed).value("pulse_cluster_replicas") == members[0] - 1);
            for (Client client : clients) {
                if (client.replica() == paused) {
                    client.socket().await(point(sent.get(sent.size() - 1)), INTERVAL.multipliedBy(3));
                }
            }
            assertNoPointTwice(clients, victim, tenants, sent.subList(0, TENANTS), second, third,
                    sent.get(sent.size() - 1));
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            clients.forEach(client -> client.socket().abort());
            replicas.stream().sorted(Comparator.comparing(PackagedPulse::pid)).forEach(PackagedPulse::close);
        }
    }

    /**
     * Every point a client awaited was taken once; any other copy of it, or two copies of one point, would be left
     * among the messages received since.
     */
    private static void assertNoPointTwice(List<Client> clients, int victim, List<String> tenants, List<Instant> firsts,
            Instant... shared) {
        for (Client client : clients) {
            if (client.replica() == victim) {
                continue;
            }
            Set<String> seen = new HashSet<>();
            java.util.function.Predicate<JsonNode> taken = point(firsts.get(tenants.indexOf(client.tenant())));
            for (Instant time : shared) {
                taken = taken.or(point(time));
            }
            for (JsonNode message : client.socket().everythingBeforePong()) {
                if ("telemetry".equals(message.path("type").asText())) {
                    assertThat(taken.test(message))
                            .as("a point sent twice to a client of tenant %s: %s", client.tenant(), message).isFalse();
                    assertThat(seen.add(message.path("data").path("timestamp").asText()))
                            .as("a point sent twice to a client of tenant %s: %s", client.tenant(), message).isTrue();
                }
            }
        }
    }

    private static void signal(String signal, PackagedPulse replica) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(replica.pid())).inheritIO().start()
                .waitFor()).isZero();
    }

    /** InfluxDB queries, PostgreSQL queries and InfluxDB poll cycles, summed over the live replicas. */
    private static double[] totals(List<PackagedPulse> replicas) {
        double[] totals = new double[3];
        for (PackagedPulse replica : replicas) {
            if (!replica.isAlive()) {
                continue;
            }
            Scrape scrape = Scrape.of(replica);
            totals[0] += scrape.value("pulse_source_queries_total", "source=\"influxdb\"");
            totals[1] += scrape.value("pulse_source_queries_total", "source=\"postgresql\"");
            totals[2] += scrape.value("pulse_poll_cycles_total", "source=\"influxdb\"");
        }
        return totals;
    }

    private static void writePoint(String tenant, Instant time) {
        writePoint(tenant, "dev-1", time);
    }

    private static void writePoint(String tenant, String device, Instant time) {
        Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=" + device + " value="
                + time.toEpochMilli() + " " + Stack.nanos(time));
    }

    private static java.util.function.Predicate<JsonNode> point(String device, Instant time) {
        return point(time).and(m -> device.equals(m.path("device_id").asText()));
    }

    private static java.util.function.Predicate<JsonNode> point(Instant time) {
        return m -> "telemetry".equals(m.path("type").asText())
                && m.path("data").path("metrics").path("value").asLong() == time.toEpochMilli();
    }

    private static java.util.function.Predicate<JsonNode> alertsContaining(long id) {
        return m -> "alerts".equals(m.path("type").asText())
                && m.path("alerts").findValues("id").stream().anyMatch(value -> value.asLong() == id);
    }
}

package dev.pulse.gateway.support;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Direct access to the test stack's real servers with their admin accounts, the way other services would write:
 * telemetry into InfluxDB (line protocol over HTTP), alerts into PostgreSQL (as the superuser, bypassing RLS).
 * Defaults match src/scripts/stack.sh; the PULSE_STACK_* variables override them.
 */
public final class Stack {

    public static final String INFLUX_URL = env("PULSE_INFLUX_URL", "http://127.0.0.1:18086");
    public static final String INFLUX_DB = env("PULSE_INFLUX_DATABASE", "pulse_test");
    private static final String INFLUX_ADMIN = env("PULSE_STACK_INFLUX_ADMIN_USER", "admin");
    private static final String INFLUX_ADMIN_PASSWORD = env("PULSE_STACK_INFLUX_ADMIN_PASSWORD", "admin-secret");
    public static final String PG_URL = env("PULSE_STACK_PG_SUPERUSER_URL",
            "jdbc:postgresql://127.0.0.1:15432/pulse_test");
    private static final String PG_SUPERUSER_PASSWORD = env("PULSE_STACK_PG_SUPERUSER_PASSWORD", "postgres");
    public static final String PG_GATEWAY_PASSWORD = env("QUARKUS_DATASOURCE_PASSWORD", "pulse_gateway");

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Stack() {
    }

    /** Writes line-protocol points to InfluxDB as the admin; fails the test if InfluxDB refuses them. */
    public static void writeInflux(String lineProtocol) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(INFLUX_URL + "/write?precision=ns&db=" + INFLUX_DB))
                .header("Authorization", basic(INFLUX_ADMIN, INFLUX_ADMIN_PASSWORD))
                .POST(HttpRequest.BodyPublishers.ofString(lineProtocol)).build();
        HttpResponse<String> response = send(request);
        if (response.statusCode() != 204) {
            throw new IllegalStateException("InfluxDB write failed: " + response.statusCode() + " " + response.body());
        }
    }

    /** Runs an InfluxQL statement as the admin and returns the JSON answer. */
    public static String queryInflux(String statement) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(INFLUX_URL + "/query?db=" + INFLUX_DB))
                .header("Authorization", basic(INFLUX_ADMIN, INFLUX_ADMIN_PASSWORD))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("q=" + URLEncoder.encode(statement, StandardCharsets.UTF_8)))
                .build();
        return send(request).body();
    }

    /** A line-protocol tag value: commas, equals signs and spaces escaped with a backslash. */
    public static String tag(String value) {
        return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ");
    }

    public static long nanos(Instant instant) {
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    /** Inserts an alert as the superuser (as the alerting service would) and returns its id. */
    public static long insertAlert(String tenant, String device, String type, String status, String summary) {
        try (Connection connection = superuser();
                PreparedStatement insert = connection.prepareStatement("""
                        INSERT INTO alerts (tenant_id, device_id, alert_type, severity, status, summary, details)
                        VALUES (?, ?, ?, 'CRITICAL', ?, ?, '{"threshold": 30, "tags": ["a", "b"]}'::jsonb)
                        RETURNING id""")) {
            insert.setString(1, tenant);
            insert.setString(2, device);
            insert.setString(3, type);
            insert.setString(4, status);
            insert.setString(5, summary);
            try (ResultSet rs = insert.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void updateAlertStatus(long id, String status) {
        execute("UPDATE alerts SET status = '" + status + "', updated_at = now() WHERE id = " + id);
    }

    public static void execute(String sql) {
        try (Connection connection = superuser(); var statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code NOTIFY channel, payload} as the gateway's role: what any role that can log in is able to send. */
    public static void notify(String channel, String payload) {
        try (Connection connection = gatewayRole();
                PreparedStatement notify = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
            notify.setString(1, channel);
            notify.setString(2, payload);
            notify.execute();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Logs in as the gateway's role, the one row-level security applies to. */
    public static Connection gatewayRole() throws SQLException {
        return DriverManager.getConnection(PG_URL, "pulse_gateway", PG_GATEWAY_PASSWORD);
    }

    /** The first column of every row of a query run as the gateway's role, optionally after naming a tenant. */
    public static List<String> asGateway(String tenantOrNull, String sql) {
        try (Connection connection = gatewayRole()) {
            connection.setAutoCommit(false);
            if (tenantOrNull != null) {
                try (PreparedStatement set = connection.prepareStatement("SELECT set_config('app.tenant_id', ?, true)")) {
                    set.setString(1, tenantOrNull);
                    set.execute();
                }
            }
            List<String> values = new ArrayList<>();
            try (var statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
                while (rs.next()) {
                    values.add(rs.getString(1));
                }
            }
            connection.rollback();
            return values;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The JDBC address of another database on the test stack's PostgreSQL server. */
    public static String jdbcUrl(String database) {
        return PG_URL.substring(0, PG_URL.lastIndexOf('/') + 1) + database;
    }

    /** Runs SQL (one or several statements) in the named database as the stack's superuser. */
    public static void executeIn(String database, String sql) {
        try (Connection connection = DriverManager.getConnection(jdbcUrl(database), "postgres", PG_SUPERUSER_PASSWORD);
                var statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Connection superuser() throws SQLException {
        return DriverManager.getConnection(PG_URL, "postgres", PG_SUPERUSER_PASSWORD);
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}

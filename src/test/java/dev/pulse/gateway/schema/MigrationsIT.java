package dev.pulse.gateway.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.LocalStack;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.PackagedPulse.MigrationRun;
import dev.pulse.gateway.support.Stack;

/**
 * The schema migrations as operators run them: the packaged application in init-and-exit mode (the Kubernetes
 * migration Job), against databases of their own on the test stack's PostgreSQL server.
 */
class MigrationsIT {

    private static final String OWNER_PASSWORD = "owner-" + UUID.randomUUID();
    private final List<String> databases = new ArrayList<>();
    private final List<String> roles = new ArrayList<>();

    @AfterEach
    void dropScratchObjects() {
        databases.forEach(database -> Stack.executeIn("postgres", "DROP DATABASE IF EXISTS " + database));
        roles.forEach(role -> Stack.executeIn("postgres", "DROP ROLE IF EXISTS " + role));
    }

    @Test
    void aNewDatabaseIsMigratedByAnOwnerRoleThatIsNoSuperuserAndTheGatewayGetsReadRightsOnly() throws Exception {
        String owner = scratchRole("CREATEROLE");
        String database = scratchDatabase(owner);

        MigrationRun first = PackagedPulse.migrate("migrate-new", Stack.jdbcUrl(database), owner, OWNER_PASSWORD);

        assertThat(first.exitCode()).as(first.log()).isZero();
        assertThat(first.log()).contains("Successfully applied 6 migrations").doesNotContain(OWNER_PASSWORD);
        assertThat(history(database)).containsExactly("1 alerts SQL t", "2 row level security SQL t",
                "3 gateway role SQL t", "4 alert notifications SQL t", "5 relay events SQL t", "6 poll interest SQL t");
        assertThat(query(database, "postgres", "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"))
                .containsExactly(owner);
        assertGatewayReadsUnderRowLevelSecurityAndHasNoDdlRights(database);

        MigrationRun again = PackagedPulse.migrate("migrate-again", Stack.jdbcUrl(database), owner, OWNER_PASSWORD);
        assertThat(again.exitCode()).as(again.log()).isZero();
        assertThat(again.log()).contains("Schema \"public\" is up to date");
        assertThat(history(database)).hasSize(6);
    }

    @Test
    void anInstallationThatAppliedThePreFlywayFilesByHandIsHandedToAnOwnerBaselinedAndKeepsItsData()
            throws Exception {
        // The old files were applied by hand as the superuser, as the old README said.
        String database = scratchDatabase("postgres");
        for (Path legacy : legacyFiles()) {
            Stack.executeIn(database, Files.readString(legacy));
        }
        Stack.executeIn(database, "INSERT INTO alerts (tenant_id, device_id, alert_type, summary) "
                + "VALUES ('tenant-a', 'device-1', 'overheat', 'kept across the migration')");
        // The one-time hand-over of src/docs/deployment.md ("Existing installations"), then the Job's run as the owner.
        String owner = scratchRole("");
        Stack.executeIn(database, """
                ALTER DATABASE %1$s OWNER TO %2$s;
                ALTER TABLE alerts OWNER TO %2$s;
                ALTER TABLE pulse_relay_events OWNER TO %2$s;
                ALTER FUNCTION pulse_notify_alert_change() OWNER TO %2$s;
                """.formatted(database, owner));

        MigrationRun run = PackagedPulse.migrate("migrate-legacy", Stack.jdbcUrl(database), owner, OWNER_PASSWORD);

        assertThat(run.exitCode()).as(run.log()).isZero();
        assertThat(history(database)).first().asString().startsWith("0 ").contains("BASELINE");
        assertThat(history(database)).hasSize(7).allMatch(row -> row.endsWith(" t"));
        assertThat(query(database, "postgres", "SELECT summary FROM alerts"))
                .containsExactly("kept across the migration");
        assertThat(query(database, "postgres",
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'alerts'::regclass AND NOT tgisinternal"))
                .containsExactly("alerts_notify_pulse");
        assertGatewayReadsUnderRowLevelSecurityAndHasNoDdlRights(database);
    }

    @Test
    void theGatewayRoleCannotRunTheMigrations() {
        String database = scratchDatabase("postgres");

        MigrationRun run = PackagedPulse.migrate("migrate-as-gateway", Stack.jdbcUrl(database), "pulse_gateway",
                Stack.PG_GATEWAY_PASSWORD);

        assertThat(run.exitCode()).isNotZero();
        assertThat(run.log()).containsIgnoringCase("permission denied");
        assertThat(query(database, "postgres", "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
                .isEmpty();
    }

    private void assertGatewayReadsUnderRowLevelSecurityAndHasNoDdlRights(String database) throws SQLException {
        Stack.executeIn(database, "INSERT INTO alerts (tenant_id, device_id, alert_type) VALUES "
                + "('tenant-a', 'device-a', 'a'), ('tenant-b', 'device-b', 'b')");
        try (Connection gateway = DriverManager.getConnection(Stack.jdbcUrl(database), "pulse_gateway",
                Stack.PG_GATEWAY_PASSWORD)) {
            gateway.setAutoCommit(false);
            assertThat(column(gateway, "SELECT count(*) FROM alerts")).containsExactly("0");
            try (PreparedStatement tenant = gateway.prepareStatement("SELECT set_config('app.tenant_id', ?, true)")) {
                tenant.setString(1, "tenant-b");
                tenant.execute();
            }
            assertThat(column(gateway, "SELECT DISTINCT tenant_id FROM alerts")).containsExactly("tenant-b");
            gateway.rollback();
            assertThatThrownBy(() -> column(gateway, "CREATE TABLE gateway_owned (id int)"))
                    .hasMessageContaining("permission denied");
            gateway.rollback();
            assertThatThrownBy(() -> column(gateway, "DELETE FROM alerts"))
                    .hasMessageContaining("permission denied");
        }
    }

    private String scratchRole(String attributes) {
        String role = "pulse_owner_" + UUID.randomUUID().toString().substring(0, 8);
        Stack.executeIn("postgres", "CREATE ROLE " + role + " LOGIN " + attributes + " PASSWORD '" + OWNER_PASSWORD
                + "'");
        roles.add(role);
        return role;
    }

    private String scratchDatabase(String owner) {
        String database = "pulse_migrations_" + UUID.randomUUID().toString().substring(0, 8);
        Stack.executeIn("postgres", "CREATE DATABASE " + database + " OWNER " + owner);
        databases.add(0, database);
        return database;
    }

    private static List<String> history(String database) {
        return query(database, "postgres", "SELECT concat_ws(' ', coalesce(version, '-'), description, type, success)"
                + " FROM pulse_schema_history ORDER BY installed_rank");
    }

    private static List<String> query(String database, String user, String sql) {
        try (Connection connection = DriverManager.getConnection(Stack.jdbcUrl(database), user, superuserPassword())) {
            return column(connection, sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> column(Connection connection, String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (var statement = connection.createStatement()) {
            if (statement.execute(sql)) {
                try (ResultSet rows = statement.getResultSet()) {
                    while (rows.next()) {
                        values.add(rows.getString(1));
                    }
                }
            }
        }
        return values;
    }

    private static List<Path> legacyFiles() {
        try (Stream<Path> files = Files.list(LocalStack.projectRoot().resolve("src/test/resources/db/legacy"))) {
            return files.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String superuserPassword() {
        String value = System.getenv("PULSE_STACK_PG_SUPERUSER_PASSWORD");
        return value == null || value.isBlank() ? "postgres" : value;
    }
}

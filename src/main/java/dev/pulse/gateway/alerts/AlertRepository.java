package dev.pulse.gateway.alerts;

import java.time.Instant;

import java.io.IOException;
import java.io.UncheckedIOException;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.pulse.gateway.observability.DataSource;
import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.Timestamps;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Reads a tenant's open alerts through the reactive PostgreSQL client, inside a transaction that names the tenant for
 * row-level security. The explicit {@code tenant_id} condition is defence in depth; the policy alone already hides
 * every other tenant's rows from the gateway's role.
 */
@ApplicationScoped
public class AlertRepository {

    private static final String SET_TENANT = "SELECT set_config('app.tenant_id', $1, true)";
    /**
     * The list, and when its snapshot was taken ({@code statement_timestamp()}, PostgreSQL's clock): one row with a
     * null id when there are no open alerts, so the time comes back for an empty list too.
     */
    private static final String OPEN_ALERTS = """
            WITH open AS (
                SELECT id, device_id, alert_type, severity, status, summary, details::text AS details,
                       created_at, updated_at
                  FROM alerts
                 WHERE status = 'OPEN' AND tenant_id = $1
                 ORDER BY created_at DESC, id DESC
                 LIMIT $2)
            SELECT statement_timestamp() AS read_at, open.*
              FROM (SELECT 1) AS one LEFT JOIN open ON true
             ORDER BY open.created_at DESC, open.id DESC""";

    private final Pool pool;
    private final ObjectMapper mapper;
    private final GatewayMetrics metrics;
    private final int limit;

    public AlertRepository(Pool pool, ObjectMapper mapper, GatewayMetrics metrics, PulseConfig config) {
        this.pool = pool;
        this.mapper = mapper;
        this.metrics = metrics;
        this.limit = config.alerts().limit();
    }

    /**
     * A tenant's open alerts as sent to clients, the newest {@code created_at}/{@code updated_at} among them (null
     * for an empty list): when the latest change that the list shows happened; and when the list was read
     * (PostgreSQL's clock), which orders lists read by different replicas or at once by the poll and a notification.
     */
    public record OpenAlerts(ArrayNode alerts, Instant newestChange, Instant readAt) {
    }

    /** The tenant's OPEN alerts, newest first, at most {@code pulse.alerts.limit}. */
    public Uni<OpenAlerts> openAlerts(String tenant) {
        return Uni.createFrom().deferred(() -> {
            metrics.sourceQuery(DataSource.POSTGRESQL);
            return pool.withTransaction(connection -> connection.preparedQuery(SET_TENANT).execute(Tuple.of(tenant))
                    .chain(ignored -> connection.preparedQuery(OPEN_ALERTS).execute(Tuple.of(tenant, limit))))
                    .map(this::toJson);
        });
    }

    private OpenAlerts toJson(RowSet<Row> rows) {
        ArrayNode alerts = mapper.createArrayNode();
        Instant newestChange = null;
        Instant readAt = null;
        for (Row row : rows) {
            readAt = row.getOffsetDateTime("read_at").toInstant();
            if (row.getValue("id") == null) {
                continue;
            }
            Instant created = row.getOffsetDateTime("created_at").toInstant();
            Instant updated = row.getOffsetDateTime("updated_at").toInstant();
            Instant changed = updated.isAfter(created) ? updated : created;
            if (newestChange == null || changed.isAfter(newestChange)) {
                newestChange = changed;
            }
            ObjectNode alert = alerts.addObject();
            alert.put("id", row.getLong("id"));
            alert.put("device_id", row.getString("device_id"));
            alert.put("alert_type", row.getString("alert_type"));
            alert.put("severity", row.getString("severity"));
            alert.put("status", row.getString("status"));
            alert.put("summary", row.getString("summary"));
            alert.set("details", parseDetails(row.getString("details")));
            alert.put("created_at", Timestamps.format(created));
            alert.put("updated_at", Timestamps.format(updated));
        }
        return new OpenAlerts(alerts, newestChange, readAt);
    }

    private com.fasterxml.jackson.databind.JsonNode parseDetails(String json) {
        try {
            return json == null ? mapper.nullNode() : mapper.readTree(json);
        } catch (IOException e) {
            // jsonb::text is always valid JSON; reaching this means the driver changed under us.
            throw new UncheckedIOException(e);
        }
    }
}

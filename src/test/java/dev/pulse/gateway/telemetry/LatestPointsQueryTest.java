package dev.pulse.gateway.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;

/**
 * The statement {@link InfluxQl#latestPoints} builds, run against the real InfluxDB: each named device matches itself
 * and nothing else, whatever punctuation its id holds (a dot is not "any character", a prefix is not a match), and the
 * tenant stays an exact comparison.
 */
class LatestPointsQueryTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void namedDevicesMatchExactlyTheirOwnSeries() throws Exception {
        String tenant = Tokens.newTenant();
        String other = Tokens.newTenant();
        long now = Stack.nanos(Instant.now());
        StringBuilder points = new StringBuilder();
        for (String device : List.of("d.1", "dX1", "d.10", "xd.1", "e:2-x_y", "e:2-x_yz", "f/1", "sensor-01")) {
            points.append("telemetry,tenant_id=").append(Stack.tag(tenant)).append(",device_id=")
                    .append(Stack.tag(device)).append(" v=1i ").append(now).append('\n');
        }
        points.append("telemetry,tenant_id=").append(Stack.tag(other)).append(",device_id=sensor-01 v=2i ")
                .append(now).append('\n');
        Stack.writeInflux(points.toString());

        String statement = InfluxQl.latestPoints("telemetry", "tenant_id", "device_id", tenant,
                List.of("d.1", "e:2-x_y", "f/1", "sensor-01", "absent"), Duration.ofHours(1));
        JsonNode answer = JSON.readTree(Stack.queryInflux(statement)).path("results").path(0);

        assertThat(answer.has("error")).as(answer.toString()).isFalse();
        Set<String> devices = new HashSet<>();
        for (JsonNode series : answer.path("series")) {
            devices.add(series.path("tags").path("device_id").asText());
            int v = columnIndex(series, "v");
            assertThat(series.path("values").path(0).path(v).asInt()).as("this tenant's point: " + series).isEqualTo(1);
        }
        assertThat(devices).containsExactlyInAnyOrder("d.1", "e:2-x_y", "f/1", "sensor-01");
    }

    private static int columnIndex(JsonNode series, String column) {
        JsonNode columns = series.path("columns");
        for (int i = 0; i < columns.size(); i++) {
            if (column.equals(columns.path(i).asText())) {
                return i;
            }
        }
        throw new AssertionError("no column " + column + " in " + series);
    }
}

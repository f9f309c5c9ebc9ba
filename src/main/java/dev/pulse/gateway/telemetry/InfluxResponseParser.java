package dev.pulse.gateway.telemetry;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reads the JSON answer of InfluxDB 1.x to {@link InfluxQl#latestPoints}. Parsed here rather than by the client
 * library: its CSV mode loses field types and mis-reads tag values with {@code , = \}, its JSON mode fails on the nulls
 * a point's missing fields produce, and both turn statement errors into empty results.
 */
public final class InfluxResponseParser {

    private final ObjectMapper mapper;

    public InfluxResponseParser(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * Points of the requested devices only; a series whose device tag is not among {@code requested} is dropped.
     *
     * @throws TelemetrySourceException when InfluxDB reports an error for the request or the statement
     */
    public List<TelemetryPoint> parse(InputStream body, String deviceTag, Collection<String> requested)
            throws IOException, TelemetrySourceException {
        JsonNode root = mapper.readTree(body);
        if (root == null || !root.isObject()) {
            throw new TelemetrySourceException("InfluxDB answered with something other than a JSON object");
        }
        throwIfError(root);
        List<TelemetryPoint> points = new ArrayList<>();
        for (JsonNode result : root.path("results")) {
            throwIfError(result);
            for (JsonNode series : result.path("series")) {
                JsonNode deviceNode = series.path("tags").path(deviceTag);
                if (!deviceNode.isTextual() || !requested.contains(deviceNode.textValue())) {
                    continue;
                }
                TelemetryPoint point = firstRow(deviceNode.textValue(), series);
                if (point != null) {
                    points.add(point);
                }
            }
        }
        return points;
    }

    private TelemetryPoint firstRow(String deviceId, JsonNode series) throws TelemetrySourceException {
        JsonNode columns = series.path("columns");
        JsonNode row = series.path("values").path(0);
        if (!row.isArray() || row.size() != columns.size()) {
            return null;
        }
        Instant time = null;
        ObjectNode metrics = mapper.createObjectNode();
        for (int i = 0; i < columns.size(); i++) {
            String column = columns.get(i).asText();
            JsonNode value = row.get(i);
            if ("time".equals(column)) {
                time = parseTime(value);
            } else if (!value.isNull()) {
                // A field absent from this point comes back as null: leave it out rather than invent a value.
                metrics.set(column, value);
            }
        }
        return time == null ? null : new TelemetryPoint(deviceId, time, metrics);
    }

    private static Instant parseTime(JsonNode value) throws TelemetrySourceException {
        try {
            return Instant.parse(value.asText());
        } catch (DateTimeParseException e) {
            throw new TelemetrySourceException("InfluxDB returned an unreadable time: " + value.asText());
        }
    }

    private static void throwIfError(JsonNode node) throws TelemetrySourceException {
        JsonNode error = node.get("error");
        if (error != null && !error.isNull()) {
            throw new TelemetrySourceException("InfluxDB: " + error.asText());
        }
    }
}

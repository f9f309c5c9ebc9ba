package dev.pulse.gateway.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

/** Parses answers as InfluxDB 1.6 writes them (captured from the real server). */
class InfluxResponseParserTest {

    private final InfluxResponseParser parser = new InfluxResponseParser(new ObjectMapper());

    @Test
    void keepsTypesDropsNullsAndReadsTagsWithSpecialCharacters() throws Exception {
        String body = """
                {"results":[{"statement_id":0,"series":[
                 {"name":"telemetry","tags":{"device_id":"dev-1"},"columns":["time","count","online","status","temperature"],
                  "values":[["2023-11-14T22:13:21.5Z",3,true,"ok",22.5]]},
                 {"name":"telemetry","tags":{"device_id":"dev,x=y"},"columns":["time","count","online","status","temperature"],
                  "values":[["2023-11-14T22:13:21Z",null,null,null,1]]}]}]}""";
        List<TelemetryPoint> points = parse(body, Set.of("dev-1", "dev,x=y"));
        assertThat(points).hasSize(2);
        assertThat(points.get(0).time()).isEqualTo(Instant.parse("2023-11-14T22:13:21.5Z"));
        assertThat(points.get(0).metrics().toString())
                .isEqualTo("{\"count\":3,\"online\":true,\"status\":\"ok\",\"temperature\":22.5}");
        assertThat(points.get(1).deviceId()).isEqualTo("dev,x=y");
        assertThat(points.get(1).metrics().toString()).isEqualTo("{\"temperature\":1}");
    }

    @Test
    void dropsSeriesOfDevicesNotAskedFor() throws Exception {
        String body = """
                {"results":[{"statement_id":0,"series":[{"name":"telemetry","tags":{"device_id":"other"},
                "columns":["time","v"],"values":[["2023-11-14T22:13:21Z",1]]}]}]}""";
        assertThat(parse(body, Set.of("dev-1"))).isEmpty();
    }

    @Test
    void emptyResultIsNoPoints() throws Exception {
        assertThat(parse("{\"results\":[{\"statement_id\":0}]}", Set.of("dev-1"))).isEmpty();
    }

    @Test
    void statementAndRequestErrorsAreFailuresNotEmptyResults() {
        assertThatThrownBy(() -> parse("{\"results\":[{\"statement_id\":0,\"error\":\"database not found: x\"}]}",
                Set.of("a"))).isInstanceOf(TelemetrySourceException.class).hasMessageContaining("database not found");
        assertThatThrownBy(() -> parse("{\"error\":\"authorization failed\"}", Set.of("a")))
                .isInstanceOf(TelemetrySourceException.class).hasMessageContaining("authorization failed");
        assertThatThrownBy(() -> parse("[]", Set.of("a"))).isInstanceOf(TelemetrySourceException.class);
    }

    private List<TelemetryPoint> parse(String body, Set<String> requested) throws Exception {
        return parser.parse(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), "device_id", requested);
    }
}

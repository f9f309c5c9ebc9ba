package dev.pulse.gateway.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class InfluxQlTest {

    @Test
    void stringLiteralsEscapeExactlyWhatInfluxQlUnescapes() {
        assertThat(InfluxQl.stringLiteral("plain")).isEqualTo("'plain'");
        assertThat(InfluxQl.stringLiteral("a'b")).isEqualTo("'a\\'b'");
        assertThat(InfluxQl.stringLiteral("a\\b")).isEqualTo("'a\\\\b'");
        assertThat(InfluxQl.stringLiteral("a\\'b")).isEqualTo("'a\\\\\\'b'");
        assertThat(InfluxQl.stringLiteral("a\nb")).isEqualTo("'a\\nb'");
        assertThat(InfluxQl.stringLiteral("' OR tenant_id='x")).isEqualTo("'\\' OR tenant_id=\\'x'");
    }

    @Test
    void identifiersAreDoubleQuoted() {
        assertThat(InfluxQl.identifier("device_id")).isEqualTo("\"device_id\"");
        assertThat(InfluxQl.identifier("we\"ird")).isEqualTo("\"we\\\"ird\"");
    }

    @Test
    void latestPointsQueryNamesTenantAndEveryDeviceInOneAnchoredPattern() {
        String query = InfluxQl.latestPoints("telemetry", "tenant_id", "device_id", "t'1", List.of("a", "b"),
                Duration.ofDays(1));
        assertThat(query).isEqualTo("SELECT *::field FROM \"telemetry\" WHERE \"tenant_id\" = 't\\'1' AND "
                + "\"device_id\" =~ /^(?:a|b)$/ AND time > now() - 86400s "
                + "GROUP BY \"device_id\" ORDER BY time DESC LIMIT 1");
    }

    @Test
    void deviceIdsAreLiteralsInsideThePattern() {
        assertThat(regexLiteral("sensor-01")).isEqualTo("sensor\\-01");
        assertThat(regexLiteral("a.b:c_1")).isEqualTo("a\\.b\\:c_1");
        // Never reachable with validated ids, and still inert: a slash cannot end the pattern, a bar cannot add one.
        assertThat(regexLiteral("a/b|.*")).isEqualTo("a\\/b\\|\\.\\*");
        assertThat(regexLiteral("a)$/ OR 1=1")).isNull();
        assertThat(regexLiteral("a\nb")).isNull();
        assertThat(regexLiteral("caf\u00e9")).isNull();
        assertThat(regexLiteral("")).isNull();
    }

    /** The device id as the pattern holds it, or null when it is refused. */
    private static String regexLiteral(String id) {
        StringBuilder regex = new StringBuilder();
        try {
            InfluxQl.appendRegexLiteral(regex, id);
        } catch (IllegalArgumentException refused) {
            return null;
        }
        return regex.toString();
    }

    @Test
    void configuredNamesMustBePlain() {
        assertThat(InfluxQl.requireName("p", "telemetry")).isEqualTo("telemetry");
        assertThatThrownBy(() -> InfluxQl.requireName("p", "tele\"metry")).hasMessageContaining("p must be");
        assertThatThrownBy(() -> InfluxQl.requireName("p", "")).isInstanceOf(IllegalArgumentException.class);
    }
}

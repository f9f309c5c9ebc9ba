package dev.pulse.gateway.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringWriter;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;

/**
 * The histogram a fan-out records into: one value for many recipients counts once per recipient, in the bucket the
 * value falls in (bounds inclusive, as Prometheus's {@code le}), and it is exported as the classic histogram series
 * Micrometer's timers gave, so dashboards and alert rules read it as before.
 */
class BatchedHistogramTest {

    private static final Duration[] BUCKETS = { Duration.ofMillis(5), Duration.ofMillis(100), Duration.ofSeconds(1) };

    @Test
    void oneValueForManyRecipientsCountsEachRecipientInItsBucket() throws IOException {
        BatchedHistogram histogram = BatchedHistogram.seconds("pulse.delivery.delay", "type", "delays", BUCKETS);
        BatchedHistogram.Series events = histogram.series("event");
        events.record(3, 1_000);
        events.record(5, 1);
        events.record(6, 2);
        events.record(1_500, 1);
        events.record(-20, 4);
        events.record(50, 0);

        String text = exposition(histogram);
        assertThat(text).contains("# TYPE pulse_delivery_delay_seconds histogram")
                .contains("pulse_delivery_delay_seconds_bucket{type=\"event\",le=\"0.005\",} 1005.0")
                .contains("pulse_delivery_delay_seconds_bucket{type=\"event\",le=\"0.1\",} 1007.0")
                .contains("pulse_delivery_delay_seconds_bucket{type=\"event\",le=\"1.0\",} 1007.0")
                .contains("pulse_delivery_delay_seconds_bucket{type=\"event\",le=\"+Inf\",} 1008.0")
                .contains("pulse_delivery_delay_seconds_count{type=\"event\",} 1008.0")
                .contains("pulse_delivery_delay_seconds_sum{type=\"event\",} 4.517");
    }

    @Test
    void eachLabelValueIsItsOwnSeriesAndAHistogramWithoutLabelHasNone() throws IOException {
        BatchedHistogram delays = BatchedHistogram.seconds("pulse.delivery.delay", "type", "delays", BUCKETS);
        delays.series("event").record(1, 3);
        delays.series("alerts");
        assertThat(exposition(delays))
                .contains("pulse_delivery_delay_seconds_count{type=\"event\",} 3.0")
                .contains("pulse_delivery_delay_seconds_count{type=\"alerts\",} 0.0");

        BatchedHistogram ages = BatchedHistogram.seconds("pulse.telemetry.point.age", "", "ages", BUCKETS);
        ages.series("").record(200, 2);
        assertThat(exposition(ages))
                .contains("pulse_telemetry_point_age_seconds_bucket{le=\"0.1\",} 0.0")
                .contains("pulse_telemetry_point_age_seconds_bucket{le=\"1.0\",} 2.0")
                .contains("pulse_telemetry_point_age_seconds_count 2.0")
                .contains("pulse_telemetry_point_age_seconds_sum 0.4");
    }

    @Test
    void boundsMustIncrease() {
        assertThatThrownBy(() -> BatchedHistogram.seconds("pulse.x", "", "x", Duration.ofMillis(10),
                Duration.ofMillis(10))).isInstanceOf(IllegalArgumentException.class);
    }

    private static String exposition(BatchedHistogram histogram) throws IOException {
        CollectorRegistry registry = new CollectorRegistry();
        histogram.register(registry);
        StringWriter text = new StringWriter();
        TextFormat.write004(text, registry.metricFamilySamples());
        return text.toString();
    }
}

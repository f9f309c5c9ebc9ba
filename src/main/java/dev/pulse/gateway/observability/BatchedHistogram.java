package dev.pulse.gateway.observability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import io.prometheus.client.Collector;

/**
 * A Prometheus histogram of durations that takes one value for many observations at once: what a fan-out needs, where
 * the members of a room written in one run of their event loop all get the event with the same delay. Exported as a
 * classic histogram ({@code _bucket} with {@code le}, {@code _count}, {@code _sum}, in seconds), the same series a
 * Micrometer timer with these buckets gives, and its count is still one per recipient.
 *
 * <p>Why not a Micrometer timer: a timer takes one observation per call, and each call passes the composite registry,
 * rotates a time-window maximum and a time-window histogram (two clock reads) and adds to three adders. Once per
 * recipient, at 400 broadcasts/s into a room of 1,000, that was 10 % of Pulse's CPU. Here, one value for n
 * recipients costs one bucket search and three additions. What it gives up is the timer's {@code _max} gauge.
 *
 * <p>Thread-safe: adders per bucket, so any thread records and a scrape reads without locks. A scrape during a record
 * may see its bucket without its sum; the count it reports is the sum of the buckets it read, so buckets and count
 * always agree.
 */
public final class BatchedHistogram extends Collector {

    private final String name;
    private final String help;
    private final String labelName;
    private final long[] boundsMillis;
    private final List<String> les;
    private final Map<String, Series> series = new ConcurrentHashMap<>();

    private BatchedHistogram(String name, String help, String labelName, Duration[] buckets) {
        this.name = name;
        this.help = help;
        this.labelName = labelName;
        this.boundsMillis = new long[buckets.length];
        List<String> les = new ArrayList<>(buckets.length + 1);
        for (int i = 0; i < buckets.length; i++) {
            boundsMillis[i] = buckets[i].toMillis();
            if (i > 0 && boundsMillis[i] <= boundsMillis[i - 1]) {
                throw new IllegalArgumentException("bucket bounds must increase: " + List.of(buckets));
            }
            les.add(Collector.doubleToGoString(boundsMillis[i] / 1000.0));
        }
        les.add("+Inf");
        this.les = List.copyOf(les);
    }

    /**
     * A histogram named as Micrometer names a timer ({@code pulse.delivery.delay} is exported as
     * {@code pulse_delivery_delay_seconds}), with one label ({@code labelName}, or none when it is empty) and buckets
     * bounded by whole milliseconds.
     */
    public static BatchedHistogram seconds(String meter, String labelName, String help, Duration... buckets) {
        return new BatchedHistogram(meter.replace('.', '_') + "_seconds", help, labelName, buckets);
    }

    /** The series of one label value (of the histogram without label: pass ""). Look it up once and keep it. */
    public Series series(String labelValue) {
        return series.computeIfAbsent(labelValue, value -> new Series(boundsMillis.length + 1));
    }

    /** The exported name, {@code _seconds} included. */
    public String name() {
        return name;
    }

    /** One label value's observations. */
    public final class Series {

        /** Per bucket, the observations above the bound before it and at most its own; the last is above them all. */
        private final LongAdder[] buckets;
        private final LongAdder sumMillis = new LongAdder();

        private Series(int size) {
            buckets = new LongAdder[size];
            for (int i = 0; i < size; i++) {
                buckets[i] = new LongAdder();
            }
        }

        /** Observes {@code millis} (a negative value as 0) {@code times} times. */
        public void record(long millis, long times) {
            if (times <= 0) {
                return;
            }
            long value = Math.max(0, millis);
            int bucket = 0;
            while (bucket < boundsMillis.length && value > boundsMillis[bucket]) {
                bucket++;
            }
            buckets[bucket].add(times);
            sumMillis.add(value * times);
        }
    }

    @Override
    public List<MetricFamilySamples> collect() {
        List<MetricFamilySamples.Sample> samples = new ArrayList<>();
        List<String> bucketLabels = labelName.isEmpty() ? List.of("le") : List.of(labelName, "le");
        List<String> labels = labelName.isEmpty() ? List.of() : List.of(labelName);
        new TreeMap<>(series).forEach((labelValue, observed) -> {
            List<String> values = labelName.isEmpty() ? List.of() : List.of(labelValue);
            long cumulative = 0;
            for (int i = 0; i < observed.buckets.length; i++) {
                cumulative += observed.buckets[i].sum();
                List<String> bucketValues = new ArrayList<>(values);
                bucketValues.add(les.get(i));
                samples.add(new MetricFamilySamples.Sample(name + "_bucket", bucketLabels, bucketValues, cumulative));
            }
            samples.add(new MetricFamilySamples.Sample(name + "_count", labels, values, cumulative));
            double sumSeconds = observed.sumMillis.sum() / 1000.0;
            samples.add(new MetricFamilySamples.Sample(name + "_sum", labels, values, sumSeconds));
        });
        return List.of(new MetricFamilySamples(name, Type.HISTOGRAM, help, samples));
    }
}

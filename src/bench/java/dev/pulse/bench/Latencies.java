package dev.pulse.bench;

import java.util.Arrays;

/** Latency samples in microseconds; thread-safe appends, percentiles by sorting a copy. */
final class Latencies {

    private long[] samples = new long[1 << 16];
    private int count;

    synchronized void add(long micros) {
        if (count == samples.length) {
            samples = Arrays.copyOf(samples, samples.length * 2);
        }
        samples[count++] = micros;
    }

    /** Forgets the samples so far (those of a warm-up). */
    synchronized void reset() {
        count = 0;
    }

    synchronized int count() {
        return count;
    }

    /** p50, p99 and max in milliseconds; zeros when empty. */
    synchronized double[] summary() {
        if (count == 0) {
            return new double[] { 0, 0, 0 };
        }
        long[] sorted = Arrays.copyOf(samples, count);
        Arrays.sort(sorted);
        return new double[] { at(sorted, 0.50), at(sorted, 0.99), sorted[count - 1] / 1000.0 };
    }

    private static double at(long[] sorted, double quantile) {
        int index = (int) Math.ceil(quantile * sorted.length) - 1;
        return sorted[Math.max(0, index)] / 1000.0;
    }
}

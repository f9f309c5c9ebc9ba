package dev.pulse.gateway.sources;

/**
 * The retry schedule of a data source that does not answer: after the first failure it is tried again after the poll
 * interval, then twice as long each time, up to a maximum; one success resets it. Pure logic: time comes from the
 * caller.
 *
 * @param failing whether the last poll failed
 * @param backoffNanos the wait before the next attempt (0 while healthy)
 * @param nextAttemptNanos when the next attempt is due, on the caller's {@code System.nanoTime()} clock
 */
public record Backoff(boolean failing, long backoffNanos, long nextAttemptNanos) {

    public static final Backoff HEALTHY = new Backoff(false, 0, 0);

    /** The schedule after a poll that {@code failed} (or not) at {@code now}. */
    public Backoff after(boolean failed, long now, long intervalNanos, long maxBackoffNanos) {
        if (!failed) {
            return HEALTHY;
        }
        long backoff = failing ? Math.min(maxBackoffNanos, backoffNanos * 2) : Math.min(maxBackoffNanos, intervalNanos);
        return new Backoff(true, backoff, now + backoff);
    }

    /** Whether a poll should run at {@code now}: always while healthy, on the schedule while failing. */
    public boolean due(long now) {
        return !failing || now - nextAttemptNanos >= 0;
    }
}

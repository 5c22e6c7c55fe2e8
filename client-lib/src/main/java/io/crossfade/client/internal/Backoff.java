package io.crossfade.client.internal;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Delays between retries: exponential from {@code initial}, capped at {@code max}, with "equal jitter"
 * (each delay is drawn uniformly from [d/2, d] for the current step d) so that many clients that lost
 * the same sidecar do not all come back in the same millisecond. Not thread-safe: one owner.
 */
final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private final DoubleSupplier random;
    private long step;

    /**
     * @param initial first delay's upper bound; positive
     * @param max cap on every delay; at least {@code initial}
     * @param random uniform numbers in [0, 1), e.g. {@code ThreadLocalRandom.current()::nextDouble}
     */
    public Backoff(Duration initial, Duration max, DoubleSupplier random) {
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        if (initialMillis < 1) {
            throw new IllegalArgumentException("initial backoff must be at least 1 ms, got " + initial);
        }
        if (maxMillis < initialMillis) {
            throw new IllegalArgumentException("max backoff " + max + " is below the initial " + initial);
        }
        this.random = random;
        this.step = initialMillis;
    }

    /** The next delay, and doubles the step (up to {@code max}) for the one after. */
    public Duration next() {
        long current = step;
        step = Math.min(maxMillis, current * 2);
        long half = current / 2;
        return Duration.ofMillis(half + (long) (random.getAsDouble() * (current - half + 1)));
    }

    /** Starts again from {@code initial}, after a success. */
    public void reset() {
        step = initialMillis;
    }
}

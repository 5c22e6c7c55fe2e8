package io.crossfade.sidecar.guard;

import io.crossfade.config.Variant;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * A sliding time window of one migration's outcomes, per variant, in a fixed ring of time buckets,
 * so memory stays the same however many outcomes arrive: {@code buckets} buckets of
 * {@code ceil(length / buckets)} each, a bucket being reused (replaced) once its time has slid out
 * of the window.
 *
 * <p>The window covers the current, partly filled bucket and the {@code buckets - 1} before it, so
 * the counts span between {@code length - length / buckets} and {@code length} of history (59-60 s
 * for the default 60 s window of 60 buckets).
 *
 * <p>Thread-safety: {@link #record} is lock-free (an array read, at most one CAS when a bucket
 * turns over, and a {@link LongAdder} add) and may be called from any number of threads;
 * {@link #counts()} may run concurrently and sees every record that completed before it started.
 * A writer that read the clock a whole window before writing may land its counts in a bucket that
 * is already being replaced; that loses at most that one call's counts.
 */
public final class OutcomeWindow {

    /** Buckets per window unless told otherwise: one second each for the default 60 s window. */
    public static final int DEFAULT_BUCKETS = 60;

    private static final int OLD_OK = 0;
    private static final int OLD_ERRORS = 1;
    private static final int NEW_OK = 2;
    private static final int NEW_ERRORS = 3;

    private final Duration length;
    private final long bucketMillis;
    private final int buckets;
    private final LongSupplier millis;
    private final AtomicReferenceArray<Bucket> ring;

    /** One slice of time; its epoch is fixed at creation, so a slice is replaced, never reset. */
    private static final class Bucket {
        final long epoch;
        final LongAdder[] counts = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()};

        Bucket(long epoch) {
            this.epoch = epoch;
        }
    }

    /**
     * @param length how much history the window keeps, at least 1 ms
     * @param buckets how many slices it is cut into, at least 1
     * @param millis a monotonic millisecond clock (e.g. {@code System.nanoTime() / 1_000_000});
     *     injectable so that tests are deterministic
     */
    public OutcomeWindow(Duration length, int buckets, LongSupplier millis) {
        Objects.requireNonNull(length, "length");
        this.millis = Objects.requireNonNull(millis, "millis");
        if (length.toMillis() < 1) {
            throw new IllegalArgumentException("window length must be at least 1 ms, got " + length);
        }
        if (buckets < 1) {
            throw new IllegalArgumentException("a window needs at least one bucket, got " + buckets);
        }
        this.length = length;
        this.buckets = buckets;
        this.bucketMillis = Math.max(1, (length.toMillis() + buckets - 1) / buckets);
        this.ring = new AtomicReferenceArray<>(buckets);
    }

    /** A window of {@link #DEFAULT_BUCKETS} buckets. */
    public OutcomeWindow(Duration length, LongSupplier millis) {
        this(length, DEFAULT_BUCKETS, millis);
    }

    /** The monotonic clock used when none is given: {@link System#nanoTime()} in milliseconds. */
    public static long monotonicMillis() {
        return System.nanoTime() / 1_000_000;
    }

    /** The configured length. */
    public Duration length() {
        return length;
    }

    /** Number of buckets in the ring; fixed for the life of the window. */
    public int buckets() {
        return buckets;
    }

    /** Buckets currently allocated; never more than {@link #buckets()} (for tests of the memory bound). */
    int retainedBuckets() {
        int n = 0;
        for (int i = 0; i < ring.length(); i++) {
            if (ring.get(i) != null) {
                n++;
            }
        }
        return n;
    }

    /** Length of one bucket in milliseconds. */
    public long bucketMillis() {
        return bucketMillis;
    }

    /**
     * Adds {@code ok} successes and {@code errors} failures of {@code variant} at the current time.
     *
     * @param variant {@link Variant#OLD} or {@link Variant#NEW}
     * @throws IllegalArgumentException for {@link Variant#STATIC} or negative counts
     */
    public void record(Variant variant, long ok, long errors) {
        if (variant == Variant.STATIC || variant == null) {
            throw new IllegalArgumentException("outcomes belong to the old or the new variant, not " + variant);
        }
        if (variant == Variant.NEW) {
            record(0, 0, ok, errors);
        } else {
            record(ok, errors, 0, 0);
        }
    }

    /**
     * Adds counts of both variants at once, into the same bucket, so that a reader sees a batch of
     * outcomes whole (short of a race of a few nanoseconds) rather than one variant before the other.
     *
     * @throws IllegalArgumentException for negative counts
     */
    public void record(long oldOk, long oldErrors, long newOk, long newErrors) {
        if (oldOk < 0 || oldErrors < 0 || newOk < 0 || newErrors < 0) {
            throw new IllegalArgumentException("counts cannot be negative");
        }
        Bucket bucket = current();
        add(bucket.counts[OLD_OK], oldOk);
        add(bucket.counts[OLD_ERRORS], oldErrors);
        add(bucket.counts[NEW_OK], newOk);
        add(bucket.counts[NEW_ERRORS], newErrors);
    }

    private static void add(LongAdder adder, long n) {
        if (n > 0) {
            adder.add(n);
        }
    }

    private Bucket current() {
        long epoch = Math.floorDiv(millis.getAsLong(), bucketMillis);
        int index = (int) Math.floorMod(epoch, (long) buckets);
        Bucket bucket = ring.get(index);
        while (bucket == null || bucket.epoch < epoch) {
            Bucket fresh = new Bucket(epoch);
            if (ring.compareAndSet(index, bucket, fresh)) {
                return fresh;
            }
            bucket = ring.get(index);
        }
        // bucket.epoch > epoch only for a caller whose clock read is a whole window stale: its counts
        // go to the newer slice, which is the nearest thing that still exists.
        return bucket;
    }

    /** The counts of the buckets still inside the window at the current time. */
    public WindowCounts counts() {
        long epoch = Math.floorDiv(millis.getAsLong(), bucketMillis);
        long oldest = epoch - buckets + 1;
        long oldOk = 0;
        long oldErrors = 0;
        long newOk = 0;
        long newErrors = 0;
        for (int i = 0; i < buckets; i++) {
            Bucket b = ring.get(i);
            if (b != null && b.epoch >= oldest && b.epoch <= epoch) {
                oldOk += b.counts[OLD_OK].sum();
                oldErrors += b.counts[OLD_ERRORS].sum();
                newOk += b.counts[NEW_OK].sum();
                newErrors += b.counts[NEW_ERRORS].sum();
            }
        }
        return new WindowCounts(oldOk, oldErrors, newOk, newErrors);
    }
}

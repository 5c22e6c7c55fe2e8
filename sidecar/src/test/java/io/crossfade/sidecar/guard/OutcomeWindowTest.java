package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crossfade.config.Variant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OutcomeWindowTest {

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final OutcomeWindow window = new OutcomeWindow(Duration.ofSeconds(60), 60, now::get);

    @Test
    void countsEachVariantSeparately() {
        window.record(Variant.OLD, 10, 1);
        window.record(Variant.NEW, 3, 2);
        window.record(Variant.NEW, 0, 1);
        assertThat(window.counts()).isEqualTo(new WindowCounts(10, 1, 3, 3));
    }

    @Test
    void aBatchOfBothVariantsGoesInAtOnce() {
        window.record(990, 10, 70, 30);
        assertThat(window.counts()).isEqualTo(new WindowCounts(990, 10, 70, 30));
        assertThatThrownBy(() -> window.record(1, -1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anEmptyWindowCountsNothing() {
        assertThat(window.counts()).isEqualTo(WindowCounts.EMPTY);
    }

    @Test
    void outcomesStayForTheWholeWindowAndThenSlideOut() {
        // the bucket the clock is in at 1 000 000 ms is [1 000 000, 1 001 000)
        window.record(Variant.NEW, 5, 1);
        now.addAndGet(59_999);
        assertThat(window.counts().newTotal()).isEqualTo(6);
        now.addAndGet(1);
        assertThat(window.counts().newTotal()).isZero();
    }

    @Test
    void bucketsRotateOneSecondAtATime() {
        for (int second = 0; second < 120; second++) {
            window.record(Variant.OLD, 1, 0);
            window.record(Variant.NEW, 0, 1);
            now.addAndGet(1000);
        }
        // the clock is now at the start of second 120: seconds 61..119 are inside, plus the empty current one
        WindowCounts counts = window.counts();
        assertThat(counts.oldOk()).isEqualTo(59);
        assertThat(counts.newErrors()).isEqualTo(59);
        window.record(Variant.OLD, 1, 0);
        assertThat(window.counts().oldOk()).isEqualTo(60);
    }

    @Test
    void aSlotIsReusedForItsNextTurnWithoutKeepingItsOldCounts() {
        window.record(Variant.NEW, 100, 0);
        now.addAndGet(60_000); // same slot of the ring, one whole window later
        window.record(Variant.NEW, 1, 0);
        assertThat(window.counts().newOk()).isEqualTo(1);
    }

    @Test
    void memoryStaysConstantHoweverManyOutcomesArrive() {
        for (int i = 0; i < 1_000_000; i++) {
            if (i % 1000 == 0) {
                now.addAndGet(100);
            }
            window.record(i % 2 == 0 ? Variant.OLD : Variant.NEW, 1, i % 50 == 0 ? 1 : 0);
        }
        // 100 s of traffic went through a 60-slot ring: every slot is in use, and each was reused
        // (a window that allocated per turn or per outcome would hold its first second's counts or
        // more than 60 buckets' worth, and the exact counts below would be wrong)
        assertThat(window.buckets()).isEqualTo(60);
        assertThat(window.retainedBuckets()).isEqualTo(window.buckets());
        // 1000 outcomes every 100 ms for 100 s: blocks 409..999 fall in the last 60 one-second buckets
        assertThat(window.counts()).isEqualTo(new WindowCounts(295_500, 11_820, 295_500, 0));
    }

    @Test
    void bucketLengthIsTheWindowDividedByTheBucketCountRoundedUp() {
        assertThat(new OutcomeWindow(Duration.ofSeconds(5), 60, now::get).bucketMillis()).isEqualTo(84);
        assertThat(new OutcomeWindow(Duration.ofHours(1), 60, now::get).bucketMillis()).isEqualTo(60_000);
        assertThat(new OutcomeWindow(Duration.ofMillis(10), 60, now::get).bucketMillis()).isEqualTo(1);
    }

    @Test
    void concurrentWritersLoseNothingWithinABucket() throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 100_000; i++) {
                    window.record(Variant.NEW, 1, 1);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(window.counts()).isEqualTo(new WindowCounts(0, 0, 400_000, 400_000));
    }

    @Test
    void concurrentWritersAcrossBucketTurnsLeaveNothingBehindOnceTheWindowHasPassed() throws InterruptedException {
        // The writers move the clock themselves (one tick every 7 records), so bucket turns race with
        // other writers' records however the threads are scheduled: no separate ticker that a loaded
        // machine could let finish before any writer ran.
        AtomicLong clock = new AtomicLong();
        OutcomeWindow w = new OutcomeWindow(Duration.ofMillis(100), 10, clock::get);
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            writers.add(new Thread(() -> {
                for (int i = 1; i <= 30_000; i++) {
                    w.record(Variant.OLD, 1, 0);
                    if (i % 7 == 0) {
                        clock.incrementAndGet();
                    }
                }
            }));
        }
        writers.forEach(Thread::start);
        for (Thread t : writers) {
            t.join();
        }
        // about 12 857 ticks: the 100 ms window turned over more than a hundred times while writing
        assertThat(clock.get()).isEqualTo(3 * (30_000 / 7));
        // the window spans at least its last 90 ms; whichever writer finished last wrote at least its
        // last 7 x 85 records in them
        assertThat(w.counts().oldOk()).isBetween(7L * 85, 90_000L);
        clock.addAndGet(100);
        assertThat(w.counts()).isEqualTo(WindowCounts.EMPTY);
    }

    @Test
    void refusesStaticAndNegativeCounts() {
        assertThatThrownBy(() -> window.record(Variant.STATIC, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> window.record(Variant.NEW, -1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OutcomeWindow(Duration.ZERO, now::get)).isInstanceOf(IllegalArgumentException.class);
    }
}

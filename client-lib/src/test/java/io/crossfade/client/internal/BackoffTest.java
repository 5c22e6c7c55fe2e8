package io.crossfade.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void delaysDoubleUpToTheCap() {
        Backoff top = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), () -> 0.999999);
        assertThat(top.next()).isEqualTo(Duration.ofMillis(100));
        assertThat(top.next()).isEqualTo(Duration.ofMillis(200));
        assertThat(top.next()).isEqualTo(Duration.ofMillis(400));
        assertThat(top.next()).isEqualTo(Duration.ofMillis(800));
        assertThat(top.next()).isEqualTo(Duration.ofMillis(1000));
        assertThat(top.next()).isEqualTo(Duration.ofMillis(1000));
    }

    @Test
    void jitterKeepsEachDelayBetweenHalfAndAllOfItsStep() {
        Random random = new Random(42);
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), random::nextDouble);
        long step = 100;
        for (int i = 0; i < 20; i++) {
            long delay = backoff.next().toMillis();
            assertThat(delay).isBetween(step / 2, step);
            step = Math.min(5000, step * 2);
        }
        Backoff bottom = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), () -> 0.0);
        assertThat(bottom.next()).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void jitterSpreadsClientsApart() {
        Random random = new Random(7);
        long distinct = java.util.stream.IntStream.range(0, 50)
                .mapToObj(i -> new Backoff(Duration.ofMillis(1000), Duration.ofSeconds(5), random::nextDouble).next())
                .distinct().count();
        assertThat(distinct).isGreaterThan(40);
    }

    @Test
    void resetStartsOverFromTheInitialDelay() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), () -> 0.999999);
        backoff.next();
        backoff.next();
        backoff.next();
        backoff.reset();
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void contradictoryBoundsAreRefused() {
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), () -> 0.5))
                .hasMessageContaining("below the initial");
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), () -> 0.5))
                .hasMessageContaining("at least 1 ms");
    }
}

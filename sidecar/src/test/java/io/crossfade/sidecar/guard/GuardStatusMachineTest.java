package io.crossfade.sidecar.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.sidecar.guard.GuardStatusMachine.Event;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The guard's status machine, by table. */
class GuardStatusMachineTest {

    @ParameterizedTest(name = "{0} + {1} -> {2}")
    @CsvSource({
        "WAITING_FOR_SAMPLES, JUDGED_HEALTHY,   HEALTHY",
        "HEALTHY,             JUDGED_WAITING,   WAITING_FOR_SAMPLES",
        "HEALTHY,             TRIP_ASKED,       TRIPPING",
        "WAITING_FOR_SAMPLES, TRIP_ASKED,       TRIPPING",
        "TRIPPING,            JUDGED_HEALTHY,   TRIPPING",
        "TRIPPING,            TRIP_DURABLE,     TRIPPED",
        "TRIPPING,            TRIP_REFUSED,     WAITING_FOR_SAMPLES",
        "TRIPPING,            STOPPED_BY_OTHER, TRIPPING",
        "TRIPPING,            STOPPED_BY_GUARD, TRIPPED",
        "TRIPPED,             JUDGED_HEALTHY,   TRIPPED",
        "TRIPPED,             TRIP_ASKED,       TRIPPED",
        "TRIPPED,             RAN_AGAIN,        WAITING_FOR_SAMPLES",
        "TRIPPED,             STOPPED_BY_OTHER, IDLE",
        "IDLE,                STOPPED_BY_GUARD, TRIPPED",
        "IDLE,                RAN_AGAIN,        WAITING_FOR_SAMPLES",
        "IDLE,                JUDGED_HEALTHY,   IDLE",
        "IDLE,                TRIP_REFUSED,     IDLE",
        "HEALTHY,             STOPPED_BY_OTHER, IDLE",
        "HEALTHY,             RAN_AGAIN,        WAITING_FOR_SAMPLES",
    })
    void movesAsTheTableSays(GuardStatus from, Event event, GuardStatus to) {
        assertThat(GuardStatusMachine.next(from, event)).isEqualTo(to);
    }
}

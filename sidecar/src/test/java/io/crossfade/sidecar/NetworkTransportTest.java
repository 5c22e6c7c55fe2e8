package io.crossfade.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.transport.Transport;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NetworkTransportTest {

    /** A machine where only {@code present} can run; the others say why not. */
    private static NetworkTransport.Availability only(Transport... present) {
        Set<Transport> here = Set.of(present);
        return new NetworkTransport.Availability() {
            @Override
            public boolean available(Transport transport) {
                return here.contains(transport);
            }

            @Override
            public String cause(Transport transport) {
                return transport.name() + " blocked by seccomp";
            }
        };
    }

    @Test
    void autoTakesIoUringWhereItRuns() {
        NetworkTransport.Choice choice = NetworkTransport.AUTO.choose(only(Transport.IO_URING, Transport.EPOLL, Transport.NIO));

        assertThat(choice.transport()).isEqualTo(Transport.IO_URING);
        assertThat(choice.description()).isEqualTo("native (io_uring)");
    }

    @Test
    void autoFallsBackToEpollAndSaysWhyNotIoUring() {
        NetworkTransport.Choice choice = NetworkTransport.AUTO.choose(only(Transport.EPOLL, Transport.NIO));

        assertThat(choice.transport()).isEqualTo(Transport.EPOLL);
        assertThat(choice.description()).isEqualTo("native (epoll); io_uring unavailable: "
                + Transport.IO_URING.name() + " blocked by seccomp");
    }

    @Test
    void autoFallsBackToNioWithBothReasons() {
        NetworkTransport.Choice choice = NetworkTransport.AUTO.choose(only(Transport.NIO));

        assertThat(choice.transport()).isEqualTo(Transport.NIO);
        assertThat(choice.description()).startsWith("NIO, native transport unavailable: io_uring unavailable: ")
                .contains("epoll unavailable: " + Transport.EPOLL.name() + " blocked by seccomp");
    }

    @Test
    void anExplicitChoiceThatCannotRunIsRefusedWithTheReason() {
        assertThatThrownBy(() -> NetworkTransport.IO_URING.choose(only(Transport.EPOLL, Transport.NIO)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("--transport io_uring is not available here: " + Transport.IO_URING.name()
                        + " blocked by seccomp");
        assertThatThrownBy(() -> NetworkTransport.EPOLL.choose(only(Transport.NIO)))
                .hasMessageStartingWith("--transport epoll is not available here: ");
    }

    @Test
    void explicitChoicesThatRunAreTaken() {
        NetworkTransport.Availability all = only(Transport.IO_URING, Transport.EPOLL, Transport.NIO);

        assertThat(NetworkTransport.EPOLL.choose(all).transport()).isEqualTo(Transport.EPOLL);
        assertThat(NetworkTransport.IO_URING.choose(all).transport()).isEqualTo(Transport.IO_URING);
        assertThat(NetworkTransport.NIO.choose(only()).transport()).isEqualTo(Transport.NIO);
    }

    @Test
    void parsesTheFlagInAnyCaseAndRefusesOthersNamingTheValues() {
        assertThat(NetworkTransport.parse("IO_URING")).isEqualTo(NetworkTransport.IO_URING);
        assertThat(NetworkTransport.parse(" epoll ")).isEqualTo(NetworkTransport.EPOLL);
        assertThat(NetworkTransport.parse(null)).isEqualTo(NetworkTransport.AUTO);
        assertThat(NetworkTransport.parse("")).isEqualTo(NetworkTransport.AUTO);
        assertThatThrownBy(() -> NetworkTransport.parse("uring"))
                .hasMessage("--transport must be auto, io_uring, epoll or nio, not 'uring'");
    }
}

package io.crossfade.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.http.HttpConnection;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DescriptorBudgetTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Counter readShed = registry.counter("shed", "listener", "read");
    private final Counter opsShed = registry.counter("shed", "listener", "ops");
    private final List<String> closed = new ArrayList<>();

    /** A connection that records its close; nothing else of it is used by the budget. */
    private HttpConnection connection(String name) {
        return (HttpConnection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {HttpConnection.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "close" -> {
                        closed.add(name);
                        yield null;
                    }
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> name;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void theBudgetIsTheLimitLessWhatIsOpenAndAReserve() {
        // 600 descriptors, 70 open at start: the reserve is 75 (an eighth), leaving 455
        assertThat(DescriptorBudget.connectionsFor(600, 70)).isEqualTo(455);
        // a small limit keeps at least 64 in reserve
        assertThat(DescriptorBudget.connectionsFor(256, 40)).isEqualTo(152);
        // arithmetic below the floor still admits a few
        assertThat(DescriptorBudget.connectionsFor(100, 90)).isEqualTo(DescriptorBudget.MIN_CONNECTIONS);
        // a huge limit does not overflow
        assertThat(DescriptorBudget.connectionsFor(Long.MAX_VALUE, 10)).isEqualTo(Integer.MAX_VALUE);
        assertThat(DescriptorBudget.forThisProcess().connections()).isPositive();
        assertThatThrownBy(() -> new DescriptorBudget(0, 10)).hasMessageContaining("at least one connection");
    }

    @Test
    void overBudgetTheOldestConnectionAwaitingAHeadIsShedOnWhicheverListenerItIs() {
        DescriptorBudget budget = new DescriptorBudget(3, 600);
        HttpConnection a = connection("a");
        HttpConnection b = connection("b");
        HttpConnection c = connection("c");
        assertThat(budget.admit(a, opsShed)).isTrue();
        assertThat(budget.admit(b, readShed)).isTrue();
        assertThat(budget.admit(c, readShed)).isTrue();
        assertThat(closed).isEmpty();

        // a's head arrived: it is served, so b is now the oldest silent one
        budget.headArrived(a);
        assertThat(budget.admit(connection("d"), readShed)).isTrue();
        assertThat(closed).containsExactly("b");
        assertThat(readShed.count()).isEqualTo(1);
        budget.release(b); // its close handler runs

        assertThat(budget.admit(connection("e"), opsShed)).isTrue();
        assertThat(closed).containsExactly("b", "c");
        assertThat(readShed.count()).as("counted on the victim's listener").isEqualTo(2);
        assertThat(opsShed.count()).isZero();
        budget.release(c);
        assertThat(budget.held()).isEqualTo(3);
    }

    @Test
    void whenEveryConnectionIsServedTheNewOneIsRefusedAndItsUnitComesBackOnClose() {
        DescriptorBudget budget = new DescriptorBudget(2, 600);
        HttpConnection a = connection("a");
        HttpConnection b = connection("b");
        budget.admit(a, readShed);
        budget.admit(b, readShed);
        budget.headArrived(a);
        budget.headArrived(b);

        HttpConnection c = connection("c");
        assertThat(budget.admit(c, opsShed)).isFalse();
        assertThat(closed).as("the caller closes the refused one").isEmpty();
        assertThat(opsShed.count()).isEqualTo(1);
        budget.release(c);
        assertThat(budget.held()).isEqualTo(2);

        budget.release(a);
        assertThat(budget.admit(connection("d"), readShed)).isTrue();
        assertThat(budget.held()).isEqualTo(2);
    }
}

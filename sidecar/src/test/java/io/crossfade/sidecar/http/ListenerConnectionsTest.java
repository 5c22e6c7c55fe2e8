package io.crossfade.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The counts of one listener's connections through each connection's life. The 503 of a first request
 * over the cap needs a real request and is covered against the real process (ProxyConnectionCapIT).
 */
class ListenerConnectionsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<String> closed = new ArrayList<>();
    private final Map<String, Handler<Void>> closeHandlers = new HashMap<>();

    /** A connection that records its close and runs its close handler, as Vert.x does. */
    @SuppressWarnings("unchecked")
    private HttpConnection connection(String name) {
        return (HttpConnection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {HttpConnection.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "close" -> {
                        closed.add(name);
                        Handler<Void> handler = closeHandlers.remove(name);
                        if (handler != null) {
                            handler.handle(null);
                        }
                        yield null;
                    }
                    case "closeHandler" -> {
                        closeHandlers.put(name, (Handler<Void>) args[0]);
                        yield proxy;
                    }
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> name;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private double meter(String name) {
        var gauge = registry.find(name).tag("listener", "proxy").gauge();
        return gauge != null ? gauge.value() : registry.find(name).tag("listener", "proxy").counter().count();
    }

    @Test
    void aConnectionAwaitsItsHeadThenIsChargedAndLeavesEveryCountWhenItCloses() {
        DescriptorBudget budget = new DescriptorBudget(10, 600);
        ListenerConnections connections = new ListenerConnections("proxy", 5, budget, registry);

        ListenerConnections.Client a = connections.accept(connection("a"));
        ListenerConnections.Client b = connections.accept(connection("b"));
        assertThat(a.awaitingHead()).isTrue();
        assertThat(connections.awaitingRequest()).isEqualTo(2);
        assertThat(budget.held()).isEqualTo(2);

        // under the cap the request is not touched: no request is needed to charge it
        assertThat(a.firstRequest(null)).isTrue();
        assertThat(a.awaitingHead()).isFalse();
        assertThat(connections.open()).isEqualTo(1);
        assertThat(connections.awaitingRequest()).isEqualTo(1);
        assertThat(meter("crossfade_http_connections")).isEqualTo(1);
        assertThat(meter("crossfade_http_connections_awaiting_request")).isEqualTo(1);
        assertThat(a.firstRequest(null)).as("a later request changes nothing").isTrue();
        assertThat(connections.open()).isEqualTo(1);

        a.closed();
        b.closed();
        a.closed(); // a second report of the same close
        assertThat(connections.open()).isZero();
        assertThat(connections.awaitingRequest()).isZero();
        assertThat(budget.held()).isZero();
    }

    @Test
    void overTheBudgetTheOldestAwaitingAHeadIsShedAndCountedOnItsListener() {
        DescriptorBudget budget = new DescriptorBudget(2, 600);
        ListenerConnections proxy = new ListenerConnections("proxy", 5, budget, registry);
        ListenerConnections read = new ListenerConnections("read", 5, budget, registry);

        ListenerConnections.Client silent = proxy.accept(connection("silent"));
        ListenerConnections.Client served = read.accept(connection("served"));
        served.firstRequest(null);
        ListenerConnections.Client newcomer = read.accept(connection("new"));
        assertThat(newcomer).isNotNull();
        assertThat(closed).containsExactly("silent");
        assertThat(meter("crossfade_http_connections_shed")).isEqualTo(1);
        silent.closed(); // its close comes back through the listener
        assertThat(proxy.awaitingRequest()).isZero();
        assertThat(budget.held()).isEqualTo(2);

        // once the newcomer has sent its head, nothing is left awaiting one to shed: the next
        // connection itself goes, and gives its unit back
        newcomer.firstRequest(null);
        ListenerConnections.Client none = proxy.accept(connection("over"));
        assertThat(none).isNull();
        assertThat(closed).containsExactly("silent", "over");
        assertThat(budget.held()).isEqualTo(2);
        assertThat(proxy.awaitingRequest()).isZero();
    }
}

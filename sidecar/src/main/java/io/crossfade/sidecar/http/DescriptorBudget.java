package io.crossfade.sidecar.http;

import com.sun.management.UnixOperatingSystemMXBean;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.http.HttpConnection;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process's file-descriptor budget for client connections, shared by every listener (read, ops,
 * Unix socket and proxy) through its {@link ListenerConnections}.
 *
 * <p>Why: connections that never complete a request head are not charged to {@code --max-connections}
 * (so they cannot lock out clients that do send requests), and {@code --header-timeout} only closes
 * them after a while. Under a low descriptor limit ({@code ulimit -n 600}) a crowd of them would use
 * every descriptor first: the kernel then queues new connections that the process can no longer
 * accept, and reads and {@code /health} time out. So every accepted connection, on any listener,
 * takes one unit of this budget, which is the soft descriptor limit minus what the process already
 * uses at start and a reserve for files, the store and the proxy's upstream connections. A connection
 * accepted over budget sheds the <em>oldest</em> connection still awaiting its first request head, on
 * whichever listener it is: a well-behaved client sends its head within milliseconds of connecting,
 * so the oldest silent one is the likeliest hostile. When nothing awaits a head (every connection is
 * charged and busy), the new connection itself is closed.
 *
 * <p>Thread-safe: admissions come from every listener's event loops, so the book of connections
 * awaiting a head is guarded by this object's monitor; a shed connection is closed outside it (Netty
 * hands the close to the connection's own event loop).
 */
public final class DescriptorBudget {

    /** Descriptors kept back for everything but client connections: at least this many... */
    static final int MIN_RESERVE = 64;
    /** ... or this share of the limit, whichever is more. */
    static final int RESERVE_DIVISOR = 8;
    /** Never fewer connections than this, whatever the arithmetic says. */
    static final int MIN_CONNECTIONS = 16;

    private final int connections;
    private final long descriptorLimit;
    private final AtomicInteger held = new AtomicInteger();
    /** Connections awaiting their first request head, oldest first, each with its listener's shed counter. */
    private final LinkedHashMap<HttpConnection, Counter> awaitingHead = new LinkedHashMap<>();

    DescriptorBudget(int connections, long descriptorLimit) {
        if (connections < 1) {
            throw new IllegalArgumentException("a descriptor budget needs at least one connection, found " + connections);
        }
        this.connections = connections;
        this.descriptorLimit = descriptorLimit;
    }

    /**
     * The budget for this process: its soft descriptor limit, less the descriptors open now and the
     * reserve. Unbounded ({@link Integer#MAX_VALUE}) where the JVM cannot tell (not a Unix JVM).
     */
    public static DescriptorBudget forThisProcess() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof UnixOperatingSystemMXBean unix && unix.getMaxFileDescriptorCount() > 0) {
            long limit = unix.getMaxFileDescriptorCount();
            return new DescriptorBudget(connectionsFor(limit, unix.getOpenFileDescriptorCount()), limit);
        }
        return new DescriptorBudget(Integer.MAX_VALUE, -1);
    }

    /** How many client connections fit under {@code limit} descriptors with {@code openNow} already in use. */
    static int connectionsFor(long limit, long openNow) {
        long reserve = Math.max(MIN_RESERVE, limit / RESERVE_DIVISOR);
        long room = limit - Math.max(0, openNow) - reserve;
        return (int) Math.min(Integer.MAX_VALUE, Math.max(MIN_CONNECTIONS, room));
    }

    /** Client connections this budget admits at once, across every listener. */
    public int connections() {
        return connections;
    }

    /** The soft descriptor limit the budget was derived from; -1 when unknown. */
    public long descriptorLimit() {
        return descriptorLimit;
    }

    /** Client connections open now, across every listener. */
    public int held() {
        return held.get();
    }

    /**
     * Takes one unit for a connection just accepted, which awaits its first request head. When the
     * budget is over, closes the oldest other connection awaiting a head and counts it on
     * {@code shed} of its own listener; when there is none, returns false and the caller closes
     * {@code connection}. Either way the caller must {@link #release} it when it closes.
     */
    boolean admit(HttpConnection connection, Counter shed) {
        HttpConnection victim = null;
        Counter victimShed = null;
        synchronized (this) {
            boolean over = held.incrementAndGet() > connections;
            if (over) {
                Iterator<Map.Entry<HttpConnection, Counter>> oldest = awaitingHead.entrySet().iterator();
                if (oldest.hasNext()) {
                    Map.Entry<HttpConnection, Counter> entry = oldest.next();
                    oldest.remove();
                    victim = entry.getKey();
                    victimShed = entry.getValue();
                } else {
                    shed.increment();
                    return false;
                }
            }
            awaitingHead.put(connection, shed);
        }
        if (victim != null) {
            victimShed.increment();
            victim.close();
        }
        return true;
    }

    /** The connection completed its first request head: it is no longer a candidate to shed. */
    void headArrived(HttpConnection connection) {
        synchronized (this) {
            awaitingHead.remove(connection);
        }
    }

    /** The connection closed: its unit returns to the budget. */
    void release(HttpConnection connection) {
        synchronized (this) {
            awaitingHead.remove(connection);
        }
        held.decrementAndGet();
    }
}

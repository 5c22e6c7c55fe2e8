package io.crossfade.config;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The background threads of the sidecar and the client library: daemons, so that they never keep a
 * JVM alive on their own (every owner still stops its threads in {@code close()}), and named, so a
 * thread dump says whose they are.
 */
public final class DaemonThreads {

    private DaemonThreads() {
    }

    /**
     * A factory of daemon threads: the first is called {@code name}, later ones {@code name-2},
     * {@code name-3}, ... Thread-safe.
     */
    public static ThreadFactory factory(String name) {
        AtomicInteger made = new AtomicInteger();
        return task -> {
            int n = made.incrementAndGet();
            Thread t = new Thread(task, n == 1 ? name : name + "-" + n);
            t.setDaemon(true);
            return t;
        };
    }

    /** A single daemon thread called {@code name} that runs tasks in order, also on a schedule. */
    public static ScheduledExecutorService scheduler(String name) {
        return Executors.newSingleThreadScheduledExecutor(factory(name));
    }

    /** Starts {@code task} on a new daemon thread called {@code name}. */
    public static Thread start(String name, Runnable task) {
        Thread t = factory(name).newThread(task);
        t.start();
        return t;
    }
}

package io.crossfade.sidecar.source;

import io.crossfade.config.DaemonThreads;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsException;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Change detection for a settings directory: inotify (a {@link WatchService}) notices a change at
 * once, a fingerprint poll is the safety net, and a change is read only once it has stayed the same
 * for {@link #SETTLE_MILLIS} and did not move while it was being read. Kubernetes ConfigMap
 * {@code ..data} symlink swaps change the fingerprint like any edit.
 *
 * <p>Every settled read goes to a {@link Changes} sink on this watcher's single thread, the
 * "source thread", which is also where {@link #submit} runs other source work, so the two never
 * interleave. Nothing here parses or judges the files.
 */
public final class DirectoryWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DirectoryWatcher.class);

    /** How often the fingerprint poll runs; bounds how late a change is noticed when inotify misses it. */
    static final long POLL_MILLIS = 250;

    /**
     * How long a change must stay unchanged before it is read. With {@link #POLL_MILLIS} and the
     * load itself this keeps a change visible well within the documented second, and keeps a file
     * being rewritten in place (truncated, then written) from being read half-written.
     */
    static final long SETTLE_MILLIS = 100;

    /** Receives settled contents of the directory, on the source thread. */
    public interface Changes {

        /**
         * The directory changed and settled.
         *
         * @param files content by file name, or null when it could not be read
         * @param unreadable why it could not be read, or null
         */
        void changed(SortedMap<String, byte[]> files, SettingsException unreadable);
    }

    private final Path dir;
    private final SettingsDirectory reader = new SettingsDirectory();
    private final ScheduledExecutorService thread;
    private Changes sink;
    private WatchService watcher;
    // Owned by the source thread.
    private String fingerprint;
    private String pending;
    private long pendingSince;
    private volatile boolean closed;

    public DirectoryWatcher(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
        this.thread = DaemonThreads.scheduler("crossfade-settings-source");
    }

    /**
     * Takes the directory's current fingerprint as "already seen": call right before reading it for
     * the initial load, so that only later changes are reported.
     */
    public void markSeen() {
        fingerprint = fingerprint();
    }

    /** Reads the directory's files without judging them (blocking; on any thread). */
    public SortedMap<String, byte[]> read() throws SettingsException {
        return reader.read(dir);
    }

    /** Starts watching; settled changes go to {@code changes}. */
    public void start(Changes changes) {
        this.sink = changes;
        try {
            watcher = dir.getFileSystem().newWatchService();
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                    StandardWatchEventKinds.ENTRY_MODIFY);
            DaemonThreads.start("crossfade-settings-watch", this::watchLoop);
        } catch (IOException e) {
            LOG.warn("cannot watch {} with file-system events ({}); relying on polling every {} ms", dir,
                    e.getMessage(), POLL_MILLIS);
        }
        thread.scheduleWithFixedDelay(this::checkSafely, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Runs {@code work} on the source thread, after whatever is running there now: source work that
     * must not interleave with a settled change (an operator's forced reload).
     */
    public <T> CompletableFuture<T> submit(Callable<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    result.complete(work.call());
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("the settings source is shutting down"));
        }
        return result;
    }

    private void watchLoop() {
        while (!closed) {
            try {
                WatchKey key = watcher.take();
                key.pollEvents();
                key.reset();
                thread.execute(this::checkSafely);
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (RejectedExecutionException e) {
                return; // closing
            }
        }
    }

    private void checkSafely() {
        try {
            check();
        } catch (RuntimeException e) {
            LOG.error("settings check failed", e);
        }
    }

    /**
     * Reads once the directory has changed since the last read and then stayed unchanged for
     * {@link #SETTLE_MILLIS}. Source thread only.
     */
    private void check() {
        if (closed) {
            return;
        }
        String now = fingerprint();
        if (now.equals(fingerprint)) {
            pending = null;
            return;
        }
        long nowNanos = System.nanoTime();
        if (!now.equals(pending)) {
            pending = now;
            pendingSince = nowNanos;
            scheduleCheck(SETTLE_MILLIS);
            return;
        }
        long settledMillis = TimeUnit.NANOSECONDS.toMillis(nowNanos - pendingSince);
        if (settledMillis < SETTLE_MILLIS) {
            scheduleCheck(SETTLE_MILLIS - settledMillis);
            return;
        }
        SortedMap<String, byte[]> files = null;
        SettingsException unreadable = null;
        try {
            files = reader.read(dir);
        } catch (SettingsException e) {
            unreadable = e;
        }
        if (!fingerprint().equals(now)) {
            // Changed again while being read (a file may even have vanished mid-swap): what was read
            // may mix two versions. Start settling over rather than report it.
            pending = null;
            thread.execute(this::checkSafely);
            return;
        }
        fingerprint = now;
        pending = null;
        sink.changed(files, unreadable);
    }

    private void scheduleCheck(long delayMillis) {
        try {
            thread.schedule(this::checkSafely, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /**
     * Names, link targets, sizes, modification times and inodes of everything in the directory,
     * following links: any edit, added or removed file, or symlink swap changes it.
     */
    private String fingerprint() {
        StringBuilder sb = new StringBuilder();
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(entries::add);
        } catch (IOException e) {
            return "unreadable:" + e.getMessage();
        }
        entries.sort(null);
        for (Path p : entries) {
            String name = p.getFileName().toString();
            if (name.startsWith(".") && !name.equals("..data")) {
                continue;
            }
            sb.append(name).append('|');
            try {
                if (Files.isSymbolicLink(p)) {
                    sb.append(Files.readSymbolicLink(p)).append('|');
                }
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                sb.append(a.size()).append('|').append(a.lastModifiedTime().to(TimeUnit.NANOSECONDS)).append('|')
                        .append(a.fileKey()).append('\n');
            } catch (IOException e) {
                sb.append("gone\n");
            }
        }
        try {
            BasicFileAttributes self = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            sb.append(self.fileKey());
        } catch (IOException e) {
            sb.append("dir-gone");
        }
        return sb.toString();
    }

    /** The directory being watched. */
    public Path directory() {
        return dir;
    }

    @Override
    public void close() {
        closed = true;
        thread.shutdownNow();
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}

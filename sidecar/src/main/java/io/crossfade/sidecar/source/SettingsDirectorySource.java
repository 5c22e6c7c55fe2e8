package io.crossfade.sidecar.source;

import io.crossfade.config.DaemonThreads;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsException;
import io.crossfade.config.SettingsProblem;
import io.crossfade.config.SettingsSpec;
import io.crossfade.sidecar.rollout.RolloutController;
import io.crossfade.sidecar.rollout.SourceStatus;
import io.crossfade.sidecar.state.LastKnownGood;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The settings directory as a source: loaded at start, then watched. A change (edit, added or
 * removed file, a Kubernetes {@code ..data} symlink swap) is noticed by inotify at once and by a
 * fingerprint poll as a safety net, and the whole directory is reloaded. A reload that fails
 * anywhere is rejected whole: the controller keeps serving the last good snapshot and records the
 * problems. Every good load is copied to the last-known-good file in the state directory.
 *
 * <p>All file work happens on this source's own thread, never on an event loop.
 */
public final class SettingsDirectorySource implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SettingsDirectorySource.class);

    /** How often the fingerprint poll runs; bounds how late a change is noticed when inotify misses it. */
    static final long POLL_MILLIS = 250;

    /**
     * How long a change must stay unchanged before it is loaded. With {@link #POLL_MILLIS} and the
     * load itself this keeps a change visible well within the documented second.
     */
    static final long SETTLE_MILLIS = 100;

    private final Path dir;
    private final LastKnownGood lastKnownGood;
    private final Clock clock;
    private final SettingsDirectory loader = new SettingsDirectory();
    private final ScheduledExecutorService thread;
    private RolloutController controller;
    private Consumer<Boolean> reloadCounter = ok -> { };
    private WatchService watcher;
    // Owned by the source thread (loadInitial runs before it starts).
    private String fingerprint;
    private String pending;
    private long pendingSince;
    /** Content version of the files served as they are in the directory; null after a failure or from a saved copy. */
    private volatile String appliedVersion;
    private volatile boolean closed;

    /** The result of the initial load. */
    public record Initial(SettingsSpec spec, SourceStatus status) {
    }

    public SettingsDirectorySource(Path dir, LastKnownGood lastKnownGood, Clock clock) {
        this.dir = dir.toAbsolutePath().normalize();
        this.lastKnownGood = lastKnownGood;
        this.clock = clock;
        this.thread = DaemonThreads.scheduler("crossfade-settings-source");
    }

    /**
     * Loads the directory. When it is invalid, falls back to the last-known-good copy if there is
     * one (and says so in the status); otherwise fails.
     *
     * @throws SettingsException when the directory is invalid and there is no usable last-known-good copy
     */
    public Initial loadInitial() throws SettingsException {
        fingerprint = fingerprint();
        try {
            SortedMap<String, byte[]> files = loader.read(dir);
            SettingsSpec spec = loader.parse(files);
            saveLastKnownGood(files);
            appliedVersion = contentVersion(files);
            return new Initial(spec, status(files, false));
        } catch (SettingsException e) {
            java.util.Optional<LastKnownGood.Saved> saved;
            try {
                saved = lastKnownGood.load();
            } catch (IOException io) {
                LOG.error("the last-known-good copy cannot be read: {}", io.getMessage());
                throw e;
            }
            if (saved.isEmpty()) {
                throw e;
            }
            SettingsSpec spec;
            try {
                spec = loader.parse(saved.get().files());
            } catch (SettingsException lkgBroken) {
                LOG.error("the last-known-good copy is not valid either: {}", lkgBroken.getMessage());
                throw e;
            }
            LOG.error("settings directory {} is invalid; serving the last-known-good copy saved {}: {}", dir,
                    saved.get().savedAt(), describe(e.problems()));
            return new Initial(spec, status(saved.get().files(), true).failed(e.problems(), clock.instant()));
        }
    }

    /**
     * Starts watching; changes go to {@code controller}.
     *
     * @param reloads told {@code true} for each applied reload and {@code false} for each rejected one
     */
    public void watch(RolloutController controller, Consumer<Boolean> reloads) {
        this.controller = controller;
        this.reloadCounter = reloads;
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

    private void watchLoop() {
        while (!closed) {
            try {
                WatchKey key = watcher.take();
                key.pollEvents();
                key.reset();
                thread.execute(this::checkSafely);
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (java.util.concurrent.RejectedExecutionException e) {
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
     * Reloads once the directory has changed since the last load attempt and then stayed unchanged
     * for {@link #SETTLE_MILLIS}. Waiting for it to settle keeps a file that is being rewritten in
     * place (truncated, then written) from being loaded half-written: an empty file is valid, and
     * would briefly take its settings away. Runs on this source's thread only.
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
            files = loader.read(dir);
        } catch (SettingsException e) {
            unreadable = e;
        }
        if (!fingerprint().equals(now)) {
            // Changed again while being read (a file may even have vanished mid-swap): what was read
            // may mix two versions. Start settling over rather than load or reject it.
            pending = null;
            thread.execute(this::checkSafely);
            return;
        }
        fingerprint = now;
        pending = null;
        if (unreadable != null) {
            rejected(unreadable.problems());
            return;
        }
        SortedMap<String, byte[]> loaded = files;
        String version = contentVersion(loaded);
        if (version.equals(appliedVersion)) {
            // Same content as what is served (a touch, an editor's probe file, a ConfigMap swap that
            // changed nothing): a new snapshot would only churn versions and ETags.
            return;
        }
        SettingsSpec spec;
        try {
            spec = loader.parse(loaded);
        } catch (SettingsException e) {
            rejected(e.problems());
            return;
        }
        SourceStatus status = status(loaded, false);
        appliedVersion = null;
        controller.applySpec(spec, status).whenComplete((published, failure) -> {
            if (failure != null) {
                rejected(List.of(new SettingsProblem(null, 0, null, null, rootMessage(failure))));
            } else {
                appliedVersion = version;
                reloadCounter.accept(true);
                LOG.info("settings reloaded from {}: version {} ({} settings, {} migrations)", dir,
                        status.version(), spec.settings().size(), spec.migrations().size());
                thread.execute(() -> saveLastKnownGood(loaded));
            }
        });
    }

    private void scheduleCheck(long delayMillis) {
        try {
            thread.schedule(this::checkSafely, delayMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void rejected(List<SettingsProblem> problems) {
        appliedVersion = null;
        reloadCounter.accept(false);
        LOG.error("settings reload rejected, still serving the last good settings: {}", describe(problems));
        controller.reloadFailed(problems);
    }

    private void saveLastKnownGood(SortedMap<String, byte[]> files) {
        try {
            lastKnownGood.save(files);
        } catch (IOException e) {
            LOG.warn("could not save the last-known-good copy of the settings: {}", e.getMessage());
        }
    }

    private SourceStatus status(SortedMap<String, byte[]> files, boolean fromLastKnownGood) {
        return new SourceStatus("directory", dir.toString(), contentVersion(files), fromLastKnownGood,
                clock.instant(), List.of(), null);
    }

    /** A short content hash of the files: equal files, equal version, on every instance. */
    static String contentVersion(Map<String, byte[]> files) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                digest.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(e.getValue());
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String describe(List<SettingsProblem> problems) {
        List<String> out = new ArrayList<>();
        for (SettingsProblem p : problems) {
            out.add(p.describe());
        }
        return String.join("; ", out);
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage();
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

    /** The directory being served. */
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

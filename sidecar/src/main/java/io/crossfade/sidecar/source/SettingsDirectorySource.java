package io.crossfade.sidecar.source;

import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsException;
import io.crossfade.config.SettingsProblem;
import io.crossfade.config.SettingsSpec;
import io.crossfade.sidecar.rollout.SourceStatus;
import io.crossfade.sidecar.state.LastKnownGood;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The settings directory as a source: loading and last-known-good. The directory is loaded at
 * start; later, every settled change that {@link DirectoryWatcher} reports (and every operator's
 * {@link #reload}) is parsed, checked against the {@link RemovalLimit}, and sent to the
 * {@link SettingsSink}. A reload that fails anywhere is refused whole: the sink keeps serving the
 * last good settings and shows the problems.
 *
 * <p>Every set that was served is copied to the last-known-good file in the state directory, and
 * only such a set: a refused one never overwrites it. A sidecar started while its directory is
 * broken, or would remove more than the limit from that copy, serves the copy instead.
 *
 * <p>All file work happens on the watcher's source thread (or before it starts), never on an
 * event loop.
 */
public final class SettingsDirectorySource implements SettingsReload, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SettingsDirectorySource.class);

    private final DirectoryWatcher watcher;
    private final LastKnownGood lastKnownGood;
    private final RemovalLimit removalLimit;
    private final Clock clock;
    private final SettingsDirectory loader = new SettingsDirectory();
    private volatile SpecCheck check = SpecCheck.NONE;
    private SettingsSink sink;
    /** Content version of the files served as they are in the directory; null after a refusal or from a saved copy. */
    private volatile String appliedVersion;
    /** Keys being served, to judge removals against. Source thread. */
    private Set<String> servedKeys = Set.of();

    /** The result of the initial load. */
    public record Initial(SettingsSpec spec, SourceStatus status) {
    }

    public SettingsDirectorySource(Path dir, LastKnownGood lastKnownGood, RemovalLimit removalLimit, Clock clock) {
        this.watcher = new DirectoryWatcher(dir);
        this.lastKnownGood = lastKnownGood;
        this.removalLimit = removalLimit;
        this.clock = clock;
    }

    public SettingsDirectorySource(Path dir, LastKnownGood lastKnownGood, Clock clock) {
        this(dir, lastKnownGood, RemovalLimit.DEFAULT, clock);
    }

    /**
     * Adds a rule every load must pass, in {@link #loadInitial} and on reload (a failure rejects the
     * load like a bad file). Call before {@link #loadInitial}.
     */
    public void checkedBy(SpecCheck check) {
        this.check = java.util.Objects.requireNonNull(check, "check");
    }

    /** Parses the files and applies the {@link SpecCheck}. */
    private SettingsSpec parse(java.util.Map<String, byte[]> files) throws SettingsException {
        SettingsSpec spec = loader.parse(files);
        java.util.List<SettingsProblem> problems = check.problems(spec);
        if (!problems.isEmpty()) {
            throw new SettingsException(problems);
        }
        return spec;
    }

    /**
     * Loads the directory. When it is invalid, or would remove more than the removal limit allows
     * from the last-known-good copy, serves that copy (and says so in the status); with no usable
     * copy, an invalid directory fails.
     *
     * @throws SettingsException when the directory is invalid and there is no usable last-known-good copy
     */
    public Initial loadInitial() throws SettingsException {
        watcher.markSeen();
        Optional<SettingsSpec> saved = Optional.empty();
        LastKnownGood.Saved savedFiles = null;
        try {
            Optional<LastKnownGood.Saved> s = lastKnownGood.load();
            if (s.isPresent()) {
                savedFiles = s.get();
                saved = Optional.of(parse(savedFiles.files()));
            }
        } catch (IOException io) {
            LOG.error("the last-known-good copy cannot be read: {}", io.getMessage());
        } catch (SettingsException lkgBroken) {
            LOG.error("the last-known-good copy is not valid: {}", lkgBroken.getMessage());
        }
        List<SettingsProblem> problems;
        try {
            SortedMap<String, byte[]> files = watcher.read();
            SettingsSpec spec = parse(files);
            Optional<SettingsProblem> tooMuch = saved.isEmpty() ? Optional.empty()
                    : removalLimit.check(saved.get().settings().keySet(), spec.settings().keySet(), false);
            if (tooMuch.isEmpty()) {
                saveLastKnownGood(files);
                appliedVersion = contentVersion(files);
                servedKeys = spec.settings().keySet();
                return new Initial(spec, status(files, false));
            }
            problems = List.of(tooMuch.get());
        } catch (SettingsException e) {
            if (saved.isEmpty()) {
                throw e;
            }
            problems = e.problems();
        }
        LOG.error("settings directory {} is not served; serving the last-known-good copy saved {}: {}",
                watcher.directory(), savedFiles.savedAt(), describe(problems));
        servedKeys = saved.get().settings().keySet();
        return new Initial(saved.get(), status(savedFiles.files(), true).failed(problems, clock.instant()));
    }

    /** Starts watching; loads go to {@code sink}. */
    public void watch(SettingsSink settingsSink) {
        this.sink = settingsSink;
        watcher.start(this::changed);
    }

    /** A settled change of the directory. Source thread. */
    private void changed(SortedMap<String, byte[]> files, SettingsException unreadable) {
        if (unreadable != null) {
            refused(unreadable.problems());
            return;
        }
        if (contentVersion(files).equals(appliedVersion)) {
            // Same content as what is served (a touch, an editor's probe file, a ConfigMap swap that
            // changed nothing): a new snapshot would only churn versions and ETags.
            return;
        }
        try {
            load(files, false);
        } catch (ReloadRefusedException e) {
            // already reported to the sink
        }
    }

    /**
     * Reloads the directory now, on the source thread; {@code acceptRemovals} lets this one reload
     * remove more settings than the removal limit allows (never every setting).
     *
     * @return completes with the status served after it ({@link ReloadResult#changed()} false when
     *     the files equal what is served), or exceptionally with a {@link ReloadRefusedException}
     */
    @Override
    public CompletableFuture<ReloadResult> reload(boolean acceptRemovals, String actor) {
        return watcher.<CompletableFuture<ReloadResult>>submit(() -> {
            SortedMap<String, byte[]> files;
            try {
                files = watcher.read();
            } catch (SettingsException e) {
                refused(e.problems());
                throw new ReloadRefusedException(e.problems());
            }
            if (contentVersion(files).equals(appliedVersion)) {
                return CompletableFuture.completedFuture(new ReloadResult(false, contentVersion(files)));
            }
            LOG.info("reload requested by {}{}", actor, acceptRemovals ? ", accepting removals" : "");
            return load(files, acceptRemovals).thenApply(status -> new ReloadResult(true, status.version()));
        }).thenCompose(result -> result);
    }

    /**
     * Parses, checks and applies {@code files}. Source thread.
     *
     * @return completes with the served status once applied
     * @throws ReloadRefusedException when refused (already reported to the sink)
     */
    private CompletableFuture<SourceStatus> load(SortedMap<String, byte[]> files, boolean acceptRemovals) {
        SettingsSpec spec;
        try {
            spec = parse(files);
        } catch (SettingsException e) {
            refused(e.problems());
            throw new ReloadRefusedException(e.problems());
        }
        Optional<SettingsProblem> tooMuch = removalLimit.check(servedKeys, spec.settings().keySet(), acceptRemovals);
        if (tooMuch.isPresent()) {
            refused(List.of(tooMuch.get()));
            throw new ReloadRefusedException(List.of(tooMuch.get()));
        }
        SourceStatus status = status(files, false);
        String version = contentVersion(files);
        appliedVersion = null;
        CompletableFuture<SourceStatus> done = new CompletableFuture<>();
        sink.apply(spec, status).whenComplete((published, failure) -> {
            if (failure != null) {
                List<SettingsProblem> problems = List.of(new SettingsProblem(null, 0, null, null, rootMessage(failure)));
                submitQuietly(() -> refused(problems));
                done.completeExceptionally(new ReloadRefusedException(problems));
                return;
            }
            LOG.info("settings reloaded from {}: version {} ({} and {})", watcher.directory(), status.version(),
                    io.crossfade.sidecar.logging.Plural.of(spec.settings().size(), "setting"),
                    io.crossfade.sidecar.logging.Plural.of(spec.migrations().size(), "migration"));
            submitQuietly(() -> {
                appliedVersion = version;
                servedKeys = spec.settings().keySet();
                saveLastKnownGood(files);
            });
            done.complete(status);
        });
        return done;
    }

    private void submitQuietly(Runnable work) {
        watcher.submit(() -> {
            work.run();
            return null;
        });
    }

    private void refused(List<SettingsProblem> problems) {
        appliedVersion = null;
        LOG.error("settings reload rejected, still serving the last good settings: {}", describe(problems));
        sink.refused(problems);
    }

    private void saveLastKnownGood(SortedMap<String, byte[]> files) {
        try {
            lastKnownGood.save(files);
        } catch (IOException e) {
            LOG.warn("could not save the last-known-good copy of the settings: {}", e.getMessage());
        }
    }

    private SourceStatus status(SortedMap<String, byte[]> files, boolean fromLastKnownGood) {
        return new SourceStatus("directory", watcher.directory().toString(), contentVersion(files), fromLastKnownGood,
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

    static String describe(List<SettingsProblem> problems) {
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

    /** The directory being served. */
    public Path directory() {
        return watcher.directory();
    }

    @Override
    public void close() {
        watcher.close();
    }
}

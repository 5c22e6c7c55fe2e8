package io.crossfade.sidecar.admin;

import io.crossfade.config.DaemonThreads;
import io.crossfade.sidecar.state.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin tokens in force, kept in step with their file without a restart: the file
 * ({@code --admin-token-file}, or the generated {@code <state>/admin.token}) is read every
 * {@link #POLL} and, once its bytes have changed and then stayed the same for one more poll (an
 * editor's half-written file is not taken), parsed and swapped in whole.
 *
 * <p>A file that cannot be read or parsed (deleted, unreadable, empty, a bad line) changes nothing:
 * the tokens in force stay, an error naming the file and the reason is logged once, and
 * {@link #problem()} shows it (on the ops listener's {@code /ready}) until a good file is read.
 * Reading follows symbolic links at every poll, so a Kubernetes Secret volume, which swaps its
 * {@code ..data} link, is picked up like an edit. Tokens are never logged, only their names.
 *
 * <p>Thread-safe: {@link #get()} is a volatile read, safe on an event loop; the poll runs on its own
 * daemon thread and is the only writer.
 */
public final class TokenFileWatch implements Supplier<AdminTokens>, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TokenFileWatch.class);

    /** How often the file is read; bounds how late a change takes effect (about two polls). */
    public static final Duration POLL = Duration.ofSeconds(1);

    /**
     * Why the file last read could not be used, while the tokens loaded before it stay in force.
     *
     * @param file the token file
     * @param error what is wrong with it, in a sentence
     * @param since when this was first seen (ISO-8601)
     * @param inForce the names of the tokens still accepted, and since when (never a token)
     */
    public record Problem(String file, String error, String since, String inForce) {
    }

    private final Path file;
    private final Clock clock;
    private volatile AdminTokens current;
    private volatile Instant loadedAt;
    private volatile Problem problem;
    private byte[] applied;
    private byte[] lastSeen;
    private String lastError;
    private ScheduledExecutorService poller;

    /** Watches {@code initial}'s file, starting from {@code initial} (already loaded from it). */
    public TokenFileWatch(AdminTokens initial, Clock clock) {
        this.current = initial;
        this.file = initial.file();
        this.clock = clock;
        this.loadedAt = clock.instant();
        this.applied = digestOrNull();
        this.lastSeen = applied;
    }

    /** Starts polling the file. */
    public TokenFileWatch start() {
        poller = DaemonThreads.scheduler("crossfade-token-watch");
        poller.scheduleWithFixedDelay(this::poll, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** The tokens in force. */
    @Override
    public AdminTokens get() {
        return current;
    }

    /** Why the file cannot be used right now, or null when the tokens in force are the file's. */
    public Problem problem() {
        return problem;
    }

    /** One poll; package-private for tests, which call it without the thread. */
    void poll() {
        try {
            byte[] seen = digestOrNull();
            boolean settled = Arrays.equals(seen, lastSeen);
            lastSeen = seen;
            if (!settled || (seen != null && Arrays.equals(seen, applied))) {
                return; // still changing, or nothing new
            }
            try {
                AdminTokens next = AdminTokens.load(file, null);
                var before = current.names();
                current = next;
                applied = seen;
                loadedAt = clock.instant();
                problem = null;
                lastError = null;
                LOG.info("admin tokens reloaded from {}: {} (before: {})", file, String.join(", ", next.names()),
                        String.join(", ", before));
            } catch (IOException | RuntimeException e) {
                String error = describe(e);
                if (!error.equals(lastError)) {
                    LOG.error("admin token file {} cannot be used, the tokens loaded before stay in force ({}): {}",
                            file, String.join(", ", current.names()), error);
                    lastError = error;
                    problem = new Problem(file.toString(), error, clock.instant().toString(),
                            String.join(", ", current.names()) + " (loaded " + loadedAt + ")");
                }
                applied = seen; // tried; a later change is tried again
            }
        } catch (RuntimeException e) {
            LOG.warn("watching the admin token file {} failed once: {}", file, e.toString());
        }
    }

    private String describe(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return file + " does not exist";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return file + " cannot be read (permission denied)";
        }
        if (e instanceof IOException io) {
            String message = io.getMessage() == null ? DurableFiles.cause(io) : io.getMessage();
            return message.contains(file.toString()) ? message : file + ": " + message;
        }
        return file + ": " + e;
    }

    /** SHA-256 of the file's bytes (following links), or null when it cannot be read. */
    private byte[] digestOrNull() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (IOException e) {
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }
}

package io.crossfade.sidecar.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Keeps one sidecar per state directory: an exclusive lock on {@code <state>/sidecar.pid}, which
 * also names the holder's process id. Two sidecars writing the same state and audit log would
 * interleave their changes and corrupt both, so the second one is refused before it touches
 * anything. The operating system releases the lock when the holder exits, even on {@code kill -9},
 * so a stale pid in an unlocked file means nothing.
 */
public final class StateDirectoryLock implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StateDirectoryLock.class);

    /** The file locked and holding the pid. */
    public static final String FILE = "sidecar.pid";

    private final FileChannel channel;
    private final FileLock lock;
    private final Path file;
    private final boolean shared;

    private StateDirectoryLock(FileChannel channel, FileLock lock, Path file, boolean shared) {
        this.channel = channel;
        this.lock = lock;
        this.file = file;
        this.shared = shared;
    }

    /**
     * Locks {@code stateDir} (which must exist) for this process and empties the file; the pid is
     * written by {@link #writePid()}.
     *
     * @throws IOException when another process holds the lock (the message names its pid and the
     *     directory) or the file cannot be written
     */
    public static StateDirectoryLock acquire(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE);
        FileChannel channel;
        boolean shared = false;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException unwritable) {
            // A read-only state directory still serves (degraded): a shared lock on the file as it is
            // keeps out a sidecar that writes there (it needs the exclusive lock), though not another
            // read-only one — neither of which can write anything.
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw unwritable;
            }
            channel = FileChannel.open(file, StandardOpenOption.READ);
            shared = true;
            LOG.warn("the state directory {} cannot be written ({}); it is locked for reading only", stateDir,
                    DurableFiles.cause(unwritable));
        }
        FileLock lock;
        try {
            lock = channel.tryLock(0, Long.MAX_VALUE, shared);
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this very process (an embedding that started two sidecars)
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String holder = holder(file);
            channel.close();
            throw new IOException("another sidecar" + holder + " is using the state directory " + stateDir
                    + "; stop it, or give this one its own --state");
        }
        if (!shared) {
            try {
                // An earlier run's pid is blanked now, the pid written once the sidecar has bound its
                // listeners (writePid): a start that fails names no process. Blanked in place rather
                // than truncated, so that a start on a full disk gains no block to write state into.
                long size = channel.size();
                if (size > 64) {
                    channel.truncate(0);
                } else if (size > 0) {
                    channel.write(ByteBuffer.wrap(" ".repeat((int) size).getBytes(StandardCharsets.US_ASCII)), 0);
                }
            } catch (IOException e) {
                LOG.warn("could not blank the earlier pid in {}: {}", file, DurableFiles.cause(e));
            }
        }
        return new StateDirectoryLock(channel, lock, file, shared);
    }

    /**
     * Writes this process's pid into the locked file; called once the sidecar has bound its
     * listeners, so the file names only a sidecar that started. Failing to write (a full disk) is
     * logged: the lock holds all the same.
     */
    public void writePid() {
        if (shared) {
            return;
        }
        try {
            byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(pid), 0);
            channel.force(false);
        } catch (IOException e) {
            LOG.warn("could not write the pid into {}: {}", file, DurableFiles.cause(e));
        }
    }

    private static String holder(Path file) {
        try {
            String pid = Files.readString(file, StandardCharsets.UTF_8).trim();
            return pid.matches("[0-9]{1,10}") ? " (pid " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Releases the lock; the file stays (an unlocked file's pid means nothing). */
    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}

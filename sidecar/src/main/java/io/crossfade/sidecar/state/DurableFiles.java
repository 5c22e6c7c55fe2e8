package io.crossfade.sidecar.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Whole-file writes that survive a crash at any moment: the reader sees either the old file or the
 * new one, never a torn mix, and once {@link #writeAtomically} returns the new content is on disk.
 * Blocking; never call from an event loop.
 */
public final class DurableFiles {

    private static final Set<PosixFilePermission> OWNER_READ_WRITE =
            Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private DurableFiles() {
    }

    /**
     * Writes {@code content} to {@code target} via a temporary file in the same directory: write,
     * fsync, atomic rename over the target, fsync of the directory.
     *
     * @param ownerOnly true to create the file with mode 0600 (secrets)
     * @throws IOException when any step fails; the target then still holds its previous content
     */
    public static void writeAtomically(Path target, byte[] content, boolean ownerOnly) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path temp = dir.resolve("." + target.getFileName() + ".tmp");
        // A leftover temp file from a crash may have other permissions: start from a fresh one, and
        // create a secret's file with mode 0600 from the start, so it is never readable by others.
        Files.deleteIfExists(temp);
        try {
            writeAndRename(temp, target, dir, content, ownerOnly);
        } catch (IOException e) {
            // A full or read-only disk must not leave a half-written temp file behind.
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // removed at the next start by removeStrayTemporaries
            }
            throw e;
        }
    }

    private static void writeAndRename(Path temp, Path target, Path dir, byte[] content, boolean ownerOnly)
            throws IOException {
        Set<StandardOpenOption> open = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        try (FileChannel channel = ownerOnly && posix
                ? FileChannel.open(temp, open, PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE))
                : FileChannel.open(temp, open)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the state directory's file system cannot rename atomically: " + dir, e);
        }
        syncDirectory(dir);
    }

    /**
     * Deletes the temporary files ({@code .NAME.tmp}) a crash or a failed write left in {@code dir}.
     * Safe at start-up, before anything writes there: a temp file is never the truth, the renamed
     * target is.
     *
     * @return how many were removed
     */
    public static int removeStrayTemporaries(Path dir) throws IOException {
        int removed = 0;
        try (var entries = Files.newDirectoryStream(dir, ".*.tmp")) {
            for (Path p : entries) {
                if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.deleteIfExists(p)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    /**
     * The cause of a failed write in words an operator can act on: {@code no space left on the state
     * directory's device (ENOSPC)}, {@code the state directory is read-only (EROFS)}, {@code ... not
     * writable (EACCES)}, else the exception's own message.
     */
    public static String cause(IOException e) {
        // The store wraps the file system's exception with where it happened: judge the innermost.
        IOException root = e;
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof IOException io) {
                root = io;
            }
        }
        if (root != e) {
            String inner = cause(root);
            return inner.equals(root.getMessage()) ? e.getMessage() : inner;
        }
        String reason = e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null ? fs.getReason()
                : String.valueOf(e.getMessage());
        String lower = reason.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("no space left")) {
            return "no space left on the state directory's device (ENOSPC)";
        }
        if (lower.contains("read-only file system")) {
            return "the state directory is read-only (EROFS)";
        }
        if (e instanceof java.nio.file.AccessDeniedException || lower.contains("permission denied")) {
            return "the state directory is not writable (EACCES)";
        }
        if (lower.contains("disk quota")) {
            return "the disk quota of the state directory is exhausted (EDQUOT)";
        }
        return e.getMessage();
    }

    /** Makes a rename or a new file in {@code dir} durable (fsync of the directory). */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory as a channel; Linux can, and that is what we
            // run on. Only swallow the platform limitation, not real I/O failures.
            if (!System.getProperty("os.name", "").toLowerCase().contains("win")) {
                throw e;
            }
        }
    }

    /** Creates {@code dir} (and parents) if missing, with mode 0700 when it is created. */
    public static void ensureDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            restrictToOwner(dir);
        }
    }

    private static void restrictToOwner(Path path) throws IOException {
        try {
            Set<PosixFilePermission> perms = Files.isDirectory(path)
                    ? Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)
                    : Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            Files.setPosixFilePermissions(path, perms);
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing finer to set
        }
    }
}

package io.crossfade.sidecar.state;

import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.AuditEvent;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only audit log: one JSON event per line, each appended and fsynced before the change it
 * records is acknowledged. Because every event carries the full record after the change, the log is
 * also the write-ahead log the state file is recovered from.
 *
 * <p>It lives in segments: {@code <state>/audit.jsonl} is written; once it passes
 * {@link AuditRetention#segmentBytes()} it is renamed to {@code audit-<first seq>.jsonl} (closed,
 * never written again) and a fresh one started. Closed segments past the {@link AuditRetention} are
 * deleted — but never one holding an event after {@link #keepAfter the state file's last}, which
 * recovery replays. Events are not kept in memory: {@link #page} reads them from disk, found through
 * a sparse index (one entry per {@value #INDEX_EVERY} events, built for a closed segment the first
 * time it is read), so memory does not grow with the log.
 *
 * <p>A state directory that cannot be written at start (read-only, no permission) opens the log for
 * reading; the first append tries to open it for writing again.
 *
 * <p>Thread-safety: the appending methods are called only from the rollout controller's thread;
 * the read methods may be called from any thread. Readers see an append once it is durable; a
 * reader racing {@link #discardLastAppend} may have seen the events it takes back.
 */
public final class AuditLog implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);

    /** The segment being written. */
    public static final String ACTIVE = "audit.jsonl";
    private static final Pattern CLOSED = Pattern.compile("audit-([0-9]{1,19})\\.jsonl");
    static final int INDEX_EVERY = 512;
    private static final byte[] SEQ_PREFIX = "{\"seq\":".getBytes(StandardCharsets.US_ASCII);

    private final Path dir;
    private final Path file;
    private final AuditRetention retention;
    private final Clock clock;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    // Guarded by lock (written under the write lock by the controller's thread).
    private final List<Segment> closed;
    private Segment active;
    private long lastSeq;
    private long keepAfter;

    // Controller's thread only.
    private FileChannel channel;
    private long lastAppendStart;
    private int lastAppendCount;
    private long lastAppendSeqBefore;

    private AuditLog(Path dir, AuditRetention retention, Clock clock, List<Segment> closed, Segment active,
            FileChannel channel) {
        this.dir = dir;
        this.file = dir.resolve(ACTIVE);
        this.retention = retention;
        this.clock = clock;
        this.closed = closed;
        this.active = active;
        this.channel = channel;
        this.lastSeq = active.lastSeq > 0 ? active.lastSeq : closed.isEmpty() ? 0 : closed.get(closed.size() - 1).lastSeq;
    }

    /** Opens the log in {@code stateDir} with the default retention. See {@link #open(Path, AuditRetention, Clock)}. */
    public static AuditLog open(Path stateDir) throws IOException {
        return open(stateDir, AuditRetention.DEFAULT, Clock.systemUTC());
    }

    /**
     * Opens (creating if needed) the log in {@code stateDir}. A torn last line of the segment being
     * written — one without its newline, or one that does not parse — is cut off: it was being written
     * when the process died, so its fsync never returned and the change it records was never
     * acknowledged.
     *
     * @throws IOException when a file cannot be read, or a line other than the last is corrupt or out
     *     of sequence (that is damage, not a crash: refusing to start beats guessing)
     */
    public static AuditLog open(Path stateDir, AuditRetention retention, Clock clock) throws IOException {
        Path file = stateDir.resolve(ACTIVE);
        List<Segment> closed = new ArrayList<>();
        try (var entries = Files.newDirectoryStream(stateDir, "audit-*.jsonl")) {
            for (Path p : entries) {
                Matcher m = CLOSED.matcher(p.getFileName().toString());
                if (m.matches() && Files.isRegularFile(p)) {
                    closed.add(Segment.closed(p, Long.parseLong(m.group(1))));
                }
            }
        }
        closed.sort((a, b) -> Long.compare(a.firstSeq, b.firstSeq));
        long previous = 0;
        for (Segment s : closed) {
            if (s.firstSeq <= previous || s.lastSeq < s.firstSeq) {
                throw new IOException("audit log segment " + s.path + " is out of sequence: it starts at event "
                        + s.firstSeq + " after event " + previous);
            }
            previous = s.lastSeq;
        }
        Segment active = Segment.scanActive(file, previous);
        FileChannel channel = null;
        try {
            channel = openForWriting(file, active.length);
            DurableFiles.syncDirectory(stateDir);
        } catch (IOException e) {
            if (!isUnwritable(e)) {
                if (channel != null) {
                    channel.close();
                }
                throw e;
            }
            LOG.warn("audit log {} is opened for reading only ({}); writes are tried again with the next change",
                    file, DurableFiles.cause(e));
            channel = null;
        }
        AuditLog log = new AuditLog(stateDir, retention, clock, closed, active, channel);
        if (channel != null) {
            log.applyRetention();
        }
        return log;
    }

    /** True for failures that mean "not writable here" rather than damage. */
    private static boolean isUnwritable(IOException e) {
        String cause = DurableFiles.cause(e);
        return e instanceof AccessDeniedException || cause.contains("(EROFS)") || cause.contains("(EACCES)")
                || cause.contains("(ENOSPC)") || cause.contains("(EDQUOT)");
    }

    private static FileChannel openForWriting(Path file, long goodLength) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            if (channel.size() > goodLength) {
                LOG.warn("audit log {}: dropping {} bytes of an unfinished last line (a crash during an unacknowledged"
                        + " write)", file, channel.size() - goodLength);
                channel.truncate(goodLength);
            }
            channel.position(goodLength);
            channel.force(true);
            return channel;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Makes sure the next sequence number is above {@code seq}, so that numbers referenced by the
     * state file (revisions, which {@code If-Match} compares) are never handed out twice, even when
     * the log was removed by hand.
     */
    public void continueAfter(long seq) {
        lock.writeLock().lock();
        try {
            if (seq > lastSeq) {
                LOG.warn("audit log {} ends at event {} but the state file has seen event {}; numbering continues"
                        + " after it", file, lastSeq, seq);
                lastSeq = seq;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Events up to {@code seq} are in the state file: segments holding only such events may be
     * deleted by the retention; later ones are what recovery replays and are always kept.
     */
    public void keepAfter(long seq) {
        boolean advanced;
        lock.writeLock().lock();
        try {
            advanced = seq > keepAfter;
            keepAfter = Math.max(keepAfter, seq);
        } finally {
            lock.writeLock().unlock();
        }
        if (advanced && channel != null && !closed.isEmpty()) {
            applyRetention();
        }
    }

    /** The sequence number of the last event, 0 when the log is empty. */
    public long lastSeq() {
        lock.readLock().lock();
        try {
            return lastSeq;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The first sequence number still kept (older ones were rotated away), or {@code lastSeq() + 1} when none is. */
    public long firstSeq() {
        lock.readLock().lock();
        try {
            return !closed.isEmpty() ? closed.get(0).firstSeq : active.lastSeq > 0 ? active.firstSeq : lastSeq + 1;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Appends {@code event} under the next sequence number and fsyncs it.
     *
     * @return the event as written, with its sequence number
     * @throws IOException as {@link #appendAll}
     */
    public AuditEvent append(AuditEvent event) throws IOException {
        return appendAll(List.of(event)).get(0);
    }

    /**
     * Appends {@code batch} under consecutive sequence numbers with one write and one fsync. Called
     * only from the rollout controller's thread. Rotates to a fresh segment first when the current
     * one is full, and deletes segments past the retention.
     *
     * @return the events as written, with their sequence numbers
     * @throws IOException when they could not be made durable; the log is then cut back to its
     *     previous length so that no unacknowledged event stays in it
     */
    public List<AuditEvent> appendAll(List<AuditEvent> batch) throws IOException {
        lastAppendCount = 0;
        if (batch.isEmpty()) {
            return List.of();
        }
        if (channel == null) {
            channel = openForWriting(file, active.length);
            DurableFiles.syncDirectory(dir);
            LOG.info("audit log {} is open for writing again", file);
        }
        if (active.length >= retention.segmentBytes()) {
            rotate();
        }
        long seq = lastSeq();
        long seqBefore = seq;
        List<AuditEvent> numbered = new ArrayList<>(batch.size());
        StringBuilder lines = new StringBuilder();
        List<Integer> lineStarts = new ArrayList<>(batch.size());
        for (AuditEvent e : batch) {
            AuditEvent n = e.withSeq(++seq);
            numbered.add(n);
            lineStarts.add(lines.length());
            lines.append(Json.MAPPER.writeValueAsString(n)).append('\n');
        }
        byte[] bytes = lines.toString().getBytes(StandardCharsets.UTF_8);
        long before = active.length;
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            channel.position(before);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
        } catch (IOException e) {
            cutBackTo(before);
            throw e;
        }
        lock.writeLock().lock();
        try {
            // Index by byte offset: the events were written as UTF-8, so count each line's bytes.
            long offset = before;
            for (int i = 0; i < numbered.size(); i++) {
                active.noteEvent(numbered.get(i).seq(), offset, numbered.get(i).time());
                int end = i + 1 < numbered.size() ? lineStarts.get(i + 1) : lines.length();
                offset += lines.substring(lineStarts.get(i), end).getBytes(StandardCharsets.UTF_8).length;
            }
            active.length = before + bytes.length;
            lastSeq = seq;
        } finally {
            lock.writeLock().unlock();
        }
        lastAppendStart = before;
        lastAppendCount = numbered.size();
        lastAppendSeqBefore = seqBefore;
        if (retention.maxAge().compareTo(java.time.Duration.ZERO) > 0 && !closed.isEmpty()
                && closed.get(0).lastTime != null
                && closed.get(0).lastTime.isBefore(clock.instant().minus(retention.maxAge()))) {
            applyRetention();
        }
        return numbered;
    }

    /**
     * Takes back the events of the last {@link #appendAll} when the change they record could not be
     * completed (the state file write failed), so that the log does not tell of a refused change.
     * Called only from the rollout controller's thread, right after that append.
     *
     * @throws IOException when the file cannot be cut; the events then stay and are replayed at the
     *     next start, as after a crash
     */
    public void discardLastAppend() throws IOException {
        if (lastAppendCount == 0) {
            return;
        }
        lock.writeLock().lock();
        try {
            lastAppendCount = 0;
            channel.truncate(lastAppendStart);
            channel.position(lastAppendStart);
            channel.force(false);
            active.cutBackTo(lastAppendStart, lastAppendSeqBefore);
            lastSeq = lastAppendSeqBefore;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void cutBackTo(long length) {
        try {
            channel.truncate(length);
            channel.position(length);
        } catch (IOException ignored) {
            // the log stays longer; open() drops a torn last line, and a whole one is replayed
        }
    }

    /** Closes the segment being written under its first sequence number and starts a fresh one. */
    private void rotate() throws IOException {
        lock.writeLock().lock();
        try {
            if (active.lastSeq == 0) {
                return;
            }
            channel.force(true);
            Path target = dir.resolve(String.format("audit-%019d.jsonl", active.firstSeq));
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
            channel.close();
            channel = null;
            Segment done = active.closedAs(target);
            closed.add(done);
            // A crash here leaves no audit.jsonl: open() starts one after the closed segments.
            channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            DurableFiles.syncDirectory(dir);
            active = Segment.empty(file, done.lastSeq);
        } finally {
            lock.writeLock().unlock();
        }
        applyRetention();
    }

    /**
     * Deletes the oldest closed segments while they are older than the age limit or the log is over
     * the size limit, stopping at the first one holding an event the state file does not include.
     */
    private void applyRetention() {
        List<Path> deleted = new ArrayList<>();
        lock.writeLock().lock();
        try {
            Instant oldest = retention.maxAge().isZero() ? null : clock.instant().minus(retention.maxAge());
            long total = active.length;
            for (Segment s : closed) {
                total += s.length;
            }
            while (!closed.isEmpty()) {
                Segment s = closed.get(0);
                boolean tooOld = oldest != null && s.lastTime != null && s.lastTime.isBefore(oldest);
                boolean tooBig = retention.maxBytes() > 0 && total > retention.maxBytes();
                if (!tooOld && !tooBig || s.lastSeq > keepAfter) {
                    break;
                }
                try {
                    Files.deleteIfExists(s.path);
                } catch (IOException e) {
                    LOG.warn("could not delete audit log segment {}: {}", s.path, DurableFiles.cause(e));
                    break;
                }
                closed.remove(0);
                total -= s.length;
                deleted.add(s.path);
            }
        } finally {
            lock.writeLock().unlock();
        }
        if (!deleted.isEmpty()) {
            try {
                DurableFiles.syncDirectory(dir);
            } catch (IOException ignored) {
                // a deleted segment that comes back after a crash is deleted again
            }
            LOG.info("audit log: deleted {} segment(s) past the retention ({}), oldest kept event {}", deleted.size(),
                    retention, firstSeq());
        }
    }

    /**
     * Events with {@code seq > since}, only for {@code key} unless it is null, oldest first, at most
     * {@code limit}. Read from disk: costs the events read, not the log's length (a rare key costs a
     * scan of the events after {@code since}).
     *
     * @throws java.io.UncheckedIOException when the log cannot be read
     */
    public List<AuditEvent> page(long since, String key, int limit) {
        List<AuditEvent> out = new ArrayList<>();
        if (limit <= 0) {
            return out;
        }
        byte[] keyNeedle = key == null ? null
                : ("\"key\":" + quoted(key)).getBytes(StandardCharsets.UTF_8);
        lock.readLock().lock();
        try {
            List<Segment> all = new ArrayList<>(closed);
            all.add(active);
            for (Segment s : all) {
                if (s.lastSeq <= since || s.length == 0 || out.size() >= limit) {
                    continue;
                }
                s.read(since, keyNeedle, key, limit, out);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("the audit log cannot be read: " + e.getMessage(), e);
        } finally {
            lock.readLock().unlock();
        }
        return out;
    }

    private static String quoted(String key) {
        try {
            return Json.MAPPER.writeValueAsString(key);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every event with {@code seq > since}, oldest first (what recovery replays: normally none). */
    public List<AuditEvent> after(long since) {
        return page(since, null, Integer.MAX_VALUE);
    }

    /** The segment being written. */
    public Path file() {
        return file;
    }

    /** Bytes on disk, all segments together. */
    public long bytes() {
        lock.readLock().lock();
        try {
            long total = active.length;
            for (Segment s : closed) {
                total += s.length;
            }
            return total;
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }

    /** Parses one line: fast for the sequence number alone, Jackson for the event. */
    static long seqOf(byte[] line, int start, int end) throws IOException {
        if (end - start > SEQ_PREFIX.length && Arrays.equals(line, start, start + SEQ_PREFIX.length, SEQ_PREFIX, 0,
                SEQ_PREFIX.length)) {
            long seq = 0;
            int i = start + SEQ_PREFIX.length;
            int digits = 0;
            while (i < end && line[i] >= '0' && line[i] <= '9' && digits < 19) {
                seq = seq * 10 + (line[i] - '0');
                i++;
                digits++;
            }
            if (digits > 0 && i < end && line[i] == ',') {
                return seq;
            }
        }
        return parse(line, start, end).seq();
    }

    static AuditEvent parse(byte[] line, int start, int end) throws IOException {
        return Json.MAPPER.readValue(line, start, end - start, AuditEvent.class);
    }

    /** Calls {@code visitor} with each complete line of {@code path} from {@code offset} to {@code limit}. */
    private static void lines(Path path, long offset, long limit, LineVisitor visitor) throws IOException {
        try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            byte[] carry = new byte[0];
            long position = offset;
            long lineStart = offset;
            while (position < limit) {
                buffer.clear();
                buffer.limit((int) Math.min(buffer.capacity(), limit - position));
                int n = in.read(buffer, position);
                if (n <= 0) {
                    break;
                }
                byte[] chunk = new byte[carry.length + n];
                System.arraycopy(carry, 0, chunk, 0, carry.length);
                buffer.flip();
                buffer.get(chunk, carry.length, n);
                position += n;
                int from = 0;
                for (int i = 0; i < chunk.length; i++) {
                    if (chunk[i] == '\n') {
                        if (!visitor.line(chunk, from, i, lineStart)) {
                            return;
                        }
                        lineStart += i + 1 - from;
                        from = i + 1;
                    }
                }
                carry = Arrays.copyOfRange(chunk, from, chunk.length);
            }
        } catch (NoSuchFileException e) {
            // deleted by the retention meanwhile: nothing more to read there
        }
    }

    private interface LineVisitor {
        /** Returns false to stop. */
        boolean line(byte[] buffer, int start, int end, long offset) throws IOException;
    }

    /** Growable sorted arrays of (sequence number, byte offset), one entry per {@value #INDEX_EVERY} events. */
    private static final class SparseIndex {
        private long[] seqs = new long[16];
        private long[] offsets = new long[16];
        private int size;
        private int sinceLast = INDEX_EVERY;

        void note(long seq, long offset) {
            if (++sinceLast < INDEX_EVERY) {
                return;
            }
            sinceLast = 0;
            if (size == seqs.length) {
                seqs = Arrays.copyOf(seqs, size * 2);
                offsets = Arrays.copyOf(offsets, size * 2);
            }
            seqs[size] = seq;
            offsets[size] = offset;
            size++;
        }

        /** The offset of the last indexed event at or before {@code seq}, else 0. */
        long offsetAtOrBefore(long seq) {
            int lo = 0;
            int hi = size - 1;
            long found = 0;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                if (seqs[mid] <= seq) {
                    found = offsets[mid];
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            return found;
        }

        void cutBackTo(long length) {
            while (size > 0 && offsets[size - 1] >= length) {
                size--;
            }
            sinceLast = INDEX_EVERY; // index the next event: cheap and safe
        }
    }

    /** One file of the log. Mutable fields are guarded by the log's lock. */
    private static final class Segment {
        final Path path;
        /** The first event's number; for an empty segment being written, the number it expects. */
        long firstSeq;
        long lastSeq;
        long length;
        Instant lastTime;
        /** Built on first read for a closed segment, possibly by two readers at once (they build the same). */
        volatile SparseIndex index;

        private Segment(Path path, long firstSeq) {
            this.path = path;
            this.firstSeq = firstSeq;
        }

        /** A closed segment: its last event is read now, its index when it is first paged. */
        static Segment closed(Path path, long firstSeq) throws IOException {
            Segment s = new Segment(path, firstSeq);
            s.length = Files.size(path);
            AuditEvent last = lastEventOf(path, s.length);
            if (last == null) {
                throw new IOException("audit log segment " + path + " holds no event");
            }
            s.lastSeq = last.seq();
            s.lastTime = last.time();
            return s;
        }

        /** The segment being written, scanned whole: it is checked line by line, and a torn last line left out. */
        static Segment scanActive(Path file, long previous) throws IOException {
            Segment s = new Segment(file, previous + 1);
            s.index = new SparseIndex();
            if (!Files.exists(file)) {
                s.lastSeq = 0;
                return s.startingAfter(previous);
            }
            long size = Files.size(file);
            long[] good = {0};
            long[] last = {previous};
            long[] first = {0};
            Instant[] lastTime = {null};
            lines(file, 0, size, (buf, start, end, offset) -> {
                boolean isLast = offset + (end - start) + 1 == size;
                if (end > start && !blank(buf, start, end)) {
                    AuditEvent e;
                    try {
                        e = parse(buf, start, end);
                    } catch (IOException bad) {
                        if (isLast) {
                            return false; // the last line: torn by a crash, cut off when opened for writing
                        }
                        throw new IOException("audit log " + file + " is corrupt at byte " + offset + ": "
                                + bad.getMessage(), bad);
                    }
                    if (e.seq() <= last[0]) {
                        throw new IOException("audit log " + file + " is out of sequence at byte " + offset
                                + ": event " + e.seq() + " follows event " + last[0]);
                    }
                    if (first[0] == 0) {
                        first[0] = e.seq();
                    }
                    s.index.note(e.seq(), offset);
                    last[0] = e.seq();
                    lastTime[0] = e.time();
                }
                good[0] = offset + (end - start) + 1;
                return true;
            });
            if (first[0] == 0) {
                Segment empty = new Segment(file, previous + 1);
                empty.index = new SparseIndex();
                empty.length = good[0];
                return empty.startingAfter(previous);
            }
            Segment active = new Segment(file, first[0]);
            active.index = s.index;
            active.lastSeq = last[0];
            active.lastTime = lastTime[0];
            active.length = good[0];
            return active;
        }

        private static boolean blank(byte[] buf, int start, int end) {
            for (int i = start; i < end; i++) {
                if (!Character.isWhitespace(buf[i])) {
                    return false;
                }
            }
            return true;
        }

        static Segment empty(Path file, long previous) {
            Segment s = new Segment(file, previous + 1);
            s.index = new SparseIndex();
            return s.startingAfter(previous);
        }

        private Segment startingAfter(long previous) {
            lastSeq = 0; // "no event" for this segment; the log's lastSeq comes from the closed ones
            return this;
        }

        /** Notes an event appended at {@code offset}. */
        void noteEvent(long seq, long offset, Instant time) {
            if (lastSeq == 0) {
                firstSeq = seq; // numbering may have continued after the state file's last (continueAfter)
            }
            index.note(seq, offset);
            lastSeq = seq;
            lastTime = time;
        }

        void cutBackTo(long newLength, long seqBefore) {
            length = newLength;
            index.cutBackTo(newLength);
            lastSeq = seqBefore >= firstSeq ? seqBefore : 0;
        }

        Segment closedAs(Path target) {
            Segment s = new Segment(target, firstSeq);
            s.lastSeq = lastSeq;
            s.length = length;
            s.lastTime = lastTime;
            s.index = index;
            return s;
        }

        /** Adds events with {@code seq > since} (of {@code key}, if given) to {@code out}, up to {@code limit}. */
        void read(long since, byte[] keyNeedle, String key, int limit, List<AuditEvent> out) throws IOException {
            SparseIndex idx = index;
            if (idx == null) {
                SparseIndex built = new SparseIndex();
                lines(path, 0, length, (buf, start, end, offset) -> {
                    if (end > start) {
                        built.note(seqOf(buf, start, end), offset);
                    }
                    return true;
                });
                index = built;
                idx = built;
            }
            long from = since < firstSeq ? 0 : idx.offsetAtOrBefore(since + 1);
            lines(path, from, length, (buf, start, end, offset) -> {
                if (end == start) {
                    return true;
                }
                if (keyNeedle != null && indexOf(buf, start, end, keyNeedle) < 0) {
                    return true;
                }
                if (seqOf(buf, start, end) <= since) {
                    return true;
                }
                AuditEvent e = parse(buf, start, end);
                if (key == null || key.equals(e.key())) {
                    out.add(e);
                }
                return out.size() < limit;
            });
        }

        private static int indexOf(byte[] buf, int start, int end, byte[] needle) {
            outer:
            for (int i = start; i <= end - needle.length; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (buf[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        /** The last event of a closed segment, read from its tail. */
        private static AuditEvent lastEventOf(Path path, long size) throws IOException {
            int tail = (int) Math.min(size, 256 * 1024);
            byte[] bytes = new byte[tail];
            try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                long position = size - tail;
                while (buffer.hasRemaining()) {
                    int n = in.read(buffer, position + buffer.position());
                    if (n < 0) {
                        break;
                    }
                }
            }
            int end = tail;
            while (end > 0 && bytes[end - 1] == '\n') {
                end--;
            }
            int start = end;
            while (start > 0 && bytes[start - 1] != '\n') {
                start--;
            }
            return end > start ? parse(bytes, start, end) : null;
        }
    }
}

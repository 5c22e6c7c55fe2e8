package io.crossfade.sidecar.state;

import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.AuditEvent;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only audit log, {@code <state>/audit.jsonl}: one JSON event per line, each appended
 * and fsynced before the change it records is acknowledged. Because every event carries the full
 * record after the change, the log is also the write-ahead log the state file is recovered from.
 *
 * <p>Thread-safety: {@link #append} is called only from the rollout controller's thread; the
 * read methods may be called from any thread.
 */
public final class AuditLog implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);

    private final Path file;
    private final FileChannel channel;
    private final List<AuditEvent> events;
    private long lastSeq;
    private long lastAppendStart;
    private int lastAppendCount;

    private AuditLog(Path file, FileChannel channel, List<AuditEvent> events) {
        this.file = file;
        this.channel = channel;
        this.events = events;
        this.lastSeq = events.isEmpty() ? 0 : events.get(events.size() - 1).seq();
    }

    /**
     * Opens (creating if needed) the log in {@code stateDir}. A torn last line — one without its
     * newline, or one that does not parse — is cut off: it was being written when the process died,
     * so its fsync never returned and the change it records was never acknowledged.
     *
     * @throws IOException when the file cannot be read, or a line other than the last is corrupt or
     *     out of sequence (that is damage, not a crash: refusing to start beats guessing)
     */
    public static AuditLog open(Path stateDir) throws IOException {
        Path file = stateDir.resolve("audit.jsonl");
        List<AuditEvent> events = new ArrayList<>();
        long goodLength = 0;
        if (Files.exists(file)) {
            byte[] all = Files.readAllBytes(file);
            int lineStart = 0;
            for (int i = 0; i < all.length; i++) {
                if (all[i] != '\n') {
                    continue;
                }
                String line = new String(all, lineStart, i - lineStart, StandardCharsets.UTF_8);
                if (!line.isBlank()) {
                    AuditEvent event;
                    try {
                        event = Json.MAPPER.readValue(line, AuditEvent.class);
                    } catch (IOException e) {
                        if (i == all.length - 1) {
                            break; // the last line: torn by a crash, dropped below
                        }
                        throw new IOException("audit log " + file + " is corrupt at byte " + lineStart + ": "
                                + e.getMessage(), e);
                    }
                    long previous = events.isEmpty() ? 0 : events.get(events.size() - 1).seq();
                    if (event.seq() <= previous) {
                        throw new IOException("audit log " + file + " is out of sequence at byte " + lineStart
                                + ": event " + event.seq() + " follows event " + previous);
                    }
                    events.add(event);
                }
                lineStart = i + 1;
                goodLength = lineStart;
            }
            if (goodLength < all.length) {
                LOG.warn("audit log {}: dropping {} bytes of an unfinished last line (a crash during an unacknowledged write)",
                        file, all.length - goodLength);
            }
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        channel.truncate(goodLength);
        channel.position(goodLength);
        channel.force(true);
        DurableFiles.syncDirectory(stateDir);
        return new AuditLog(file, channel, events);
    }

    /**
     * Makes sure the next sequence number is above {@code seq}, so that numbers referenced by the
     * state file (revisions, which {@code If-Match} compares) are never handed out twice, even when
     * the log was removed by hand.
     */
    public synchronized void continueAfter(long seq) {
        if (seq > lastSeq) {
            LOG.warn("audit log {} ends at event {} but the state file has seen event {}; numbering continues after it",
                    file, lastSeq, seq);
            lastSeq = seq;
        }
    }

    /** The sequence number of the last event, 0 when the log is empty. */
    public synchronized long lastSeq() {
        return lastSeq;
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
     * only from the rollout controller's thread.
     *
     * @return the events as written, with their sequence numbers
     * @throws IOException when they could not be made durable; the log is then cut back to its
     *     previous length so that no unacknowledged event stays in it
     */
    public List<AuditEvent> appendAll(List<AuditEvent> batch) throws IOException {
        if (batch.isEmpty()) {
            return List.of();
        }
        long seq;
        synchronized (this) {
            seq = lastSeq;
        }
        List<AuditEvent> numbered = new ArrayList<>(batch.size());
        StringBuilder lines = new StringBuilder();
        for (AuditEvent e : batch) {
            AuditEvent n = e.withSeq(++seq);
            numbered.add(n);
            lines.append(Json.MAPPER.writeValueAsString(n)).append('\n');
        }
        long before = channel.position();
        try {
            ByteBuffer buffer = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
        } catch (IOException e) {
            cutBackTo(before);
            throw e;
        }
        synchronized (this) {
            events.addAll(numbered);
            lastSeq = seq;
            lastAppendStart = before;
            lastAppendCount = numbered.size();
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
        synchronized (this) {
            if (lastAppendCount == 0) {
                return;
            }
            events.subList(events.size() - lastAppendCount, events.size()).clear();
            lastSeq -= lastAppendCount;
            lastAppendCount = 0;
        }
        channel.truncate(lastAppendStart);
        channel.position(lastAppendStart);
        channel.force(false);
    }

    private void cutBackTo(long length) {
        try {
            channel.truncate(length);
            channel.position(length);
        } catch (IOException ignored) {
            // the log stays longer; open() drops a torn last line, and a whole one is replayed
        }
    }

    /** Events with {@code seq > since}, optionally only for {@code key}, oldest first, at most {@code limit}. */
    public synchronized List<AuditEvent> page(long since, String key, int limit) {
        List<AuditEvent> out = new ArrayList<>();
        int start = firstIndexAfter(since);
        for (int i = start; i < events.size() && out.size() < limit; i++) {
            AuditEvent e = events.get(i);
            if (key == null || key.equals(e.key())) {
                out.add(e);
            }
        }
        return out;
    }

    /** Every event with {@code seq > since}, oldest first. */
    public synchronized List<AuditEvent> after(long since) {
        return new ArrayList<>(events.subList(firstIndexAfter(since), events.size()));
    }

    private int firstIndexAfter(long since) {
        int lo = 0;
        int hi = events.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (events.get(mid).seq() <= since) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The log file. */
    public Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}

package io.crossfade.sidecar.state;

import io.crossfade.sidecar.Json;
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

    private AuditLog(Path file, FileChannel channel, List<AuditEvent> events) {
        this.file = file;
        this.channel = channel;
        this.events = events;
        this.lastSeq = events.isEmpty() ? 0 : events.get(events.size() - 1).seq();
    }

    /**
     * Opens (creating if needed) the log in {@code stateDir}. A torn last line, left by a crash in
     * the middle of an append that was therefore never acknowledged, is cut off.
     *
     * @throws IOException when the file cannot be read, or a line other than the last is corrupt
     */
    public static AuditLog open(Path stateDir) throws IOException {
        Path file = stateDir.resolve("audit.jsonl");
        List<AuditEvent> events = new ArrayList<>();
        long goodLength = 0;
        if (Files.exists(file)) {
            byte[] all = Files.readAllBytes(file);
            int lineStart = 0;
            for (int i = 0; i < all.length; i++) {
                if (all[i] == '\n') {
                    String line = new String(all, lineStart, i - lineStart, StandardCharsets.UTF_8);
                    if (!line.isBlank()) {
                        try {
                            events.add(Json.MAPPER.readValue(line, AuditEvent.class));
                        } catch (IOException e) {
                            throw new IOException("audit log " + file + " is corrupt at byte " + lineStart + ": "
                                    + e.getMessage(), e);
                        }
                    }
                    lineStart = i + 1;
                    goodLength = lineStart;
                }
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

    /** The sequence number of the last event, 0 when the log is empty. */
    public synchronized long lastSeq() {
        return lastSeq;
    }

    /**
     * Appends {@code event} under the next sequence number and fsyncs it.
     *
     * @return the event as written, with its sequence number
     * @throws IOException when it could not be made durable; the log is then rolled back to its
     *     previous length so that no unacknowledged event stays in it
     */
    public AuditEvent append(AuditEvent event) throws IOException {
        long seq;
        synchronized (this) {
            seq = lastSeq + 1;
        }
        AuditEvent numbered = event.withSeq(seq);
        byte[] line = (Json.MAPPER.writeValueAsString(numbered) + "\n").getBytes(StandardCharsets.UTF_8);
        long before = channel.position();
        try {
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
        } catch (IOException e) {
            try {
                channel.truncate(before);
                channel.position(before);
            } catch (IOException ignored) {
                // the log stays longer; open() copes with a torn last line
            }
            throw e;
        }
        synchronized (this) {
            events.add(numbered);
            lastSeq = seq;
        }
        return numbered;
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

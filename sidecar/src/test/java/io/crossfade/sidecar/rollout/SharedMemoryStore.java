package io.crossfade.sidecar.rollout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A store that several controllers share in memory, for unit tests of the controller's side of a
 * shared store: compare-and-swap on the revision, and a feed of what the others committed. One
 * {@link Hub} holds the data; each controller gets its own {@link #view}.
 */
final class SharedMemoryStore {

    private SharedMemoryStore() {
    }

    /** The shared data. */
    static final class Hub {
        private final List<AuditEvent> trail = new ArrayList<>();
        private final Map<String, MigrationRecord> records = new TreeMap<>();
        private final List<View> views = new CopyOnWriteArrayList<>();

        synchronized long revision() {
            return trail.isEmpty() ? 0 : trail.get(trail.size() - 1).seq();
        }

        synchronized List<AuditEvent> trail() {
            return List.copyOf(trail);
        }
    }

    static View view(Hub hub, String instance) {
        View v = new View(hub, instance);
        hub.views.add(v);
        return v;
    }

    static final class View implements MigrationStore {
        private final Hub hub;
        private final String instance;
        private volatile CommittedElsewhere feed;

        View(Hub hub, String instance) {
            this.hub = hub;
            this.instance = instance;
        }

        @Override
        public StoredState load() {
            synchronized (hub) {
                return new StoredState(hub.revision(), 0, new ArrayList<>(hub.records.values()));
            }
        }

        @Override
        public List<AuditEvent> commit(long basedOn, List<AuditEvent> events, long snapshotVersion)
                throws StaleStateException {
            List<AuditEvent> written = new ArrayList<>();
            synchronized (hub) {
                if (basedOn != hub.revision()) {
                    throw new StaleStateException(basedOn, hub.revision());
                }
                long seq = hub.revision();
                for (AuditEvent e : events) {
                    AuditEvent w = e.madeBy(instance).withSeq(++seq);
                    written.add(w);
                    hub.trail.add(w);
                    if (w.record() == null) {
                        hub.records.remove(w.migration());
                    } else {
                        hub.records.put(w.migration(), w.record());
                    }
                }
                // Inside the lock, so that every view hears commits in revision order, as from a watch.
                if (!written.isEmpty()) {
                    for (View other : hub.views) {
                        if (other != this && other.feed != null) {
                            other.feed.committed(written);
                        }
                    }
                }
            }
            return written;
        }

        @Override
        public void follow(CommittedElsewhere f) {
            this.feed = f;
        }

        @Override
        public boolean shared() {
            return true;
        }

        @Override
        public List<AuditEvent> page(long since, String key, int limit) {
            return hub.trail().stream().filter(e -> e.seq() > since && (key == null || key.equals(e.key())))
                    .limit(limit).toList();
        }

        @Override
        public long lastSeq() {
            return hub.revision();
        }

        @Override
        public void close() {
            hub.views.remove(this);
        }
    }
}

package io.crossfade.sidecar.guard;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * Where the guard keeps its evidence beside the migrations' state, so that a restart resumes the
 * same test (see {@link StoredEvidence}). The guard saves each running migration's evidence at most
 * {@link Guard#EVIDENCE_SAVE_INTERVAL} behind, on a thread of its own, never on an event loop or the
 * guard's thread; what a crash loses is the outcomes of that interval, never the test.
 *
 * <p>Contract: {@link #loadAll} is called once, at start, before the guard serves; {@link #save} and
 * {@link #retain} from one thread at a time. A save is durable when it returns.
 */
public interface EvidenceStore {

    /** Keeps nothing: every start is a fresh test (tests, and tools without a state directory). */
    EvidenceStore NONE = new EvidenceStore() {
        @Override
        public Map<String, StoredEvidence> loadAll() {
            return Map.of();
        }

        @Override
        public void save(StoredEvidence evidence) {
        }

        @Override
        public void retain(Set<String> migrationIds) {
        }
    };

    /**
     * Everything stored, by migration id. Evidence that cannot be read is left out (and said so in
     * the log): the migration's test then starts afresh, which is always safe for reads.
     */
    Map<String, StoredEvidence> loadAll() throws IOException;

    /** Stores {@code evidence} durably, replacing what was stored for its migration. */
    void save(StoredEvidence evidence) throws IOException;

    /** Forgets the evidence of every migration not in {@code migrationIds}. */
    void retain(Set<String> migrationIds) throws IOException;
}

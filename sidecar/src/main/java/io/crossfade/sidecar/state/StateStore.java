package io.crossfade.sidecar.state;

import io.crossfade.sidecar.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads and writes {@code <state>/state.json}, the durable state of every migration. Writes are
 * atomic and fsynced ({@link DurableFiles}). Blocking; used only by the rollout controller's thread
 * and at start-up.
 */
public final class StateStore {

    private final Path file;

    public StateStore(Path stateDir) {
        this.file = stateDir.resolve("state.json");
    }

    /** The file this store writes. */
    public Path file() {
        return file;
    }

    /**
     * Loads the state; {@link PersistedState#EMPTY} when the file does not exist yet.
     *
     * @throws IOException when the file exists but cannot be read or parsed (never silently reset:
     *     losing operator decisions is worse than refusing to start)
     */
    public PersistedState load() throws IOException {
        if (!Files.exists(file)) {
            return PersistedState.EMPTY;
        }
        try {
            PersistedState state = Json.MAPPER.readValue(file.toFile(), PersistedState.class);
            if (state.format() != PersistedState.FORMAT) {
                throw new IOException("unsupported state format " + state.format() + " in " + file);
            }
            return state;
        } catch (IOException e) {
            throw new IOException("state file " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** Writes {@code state} durably; when this returns, it survives a crash. */
    public void save(PersistedState state) throws IOException {
        DurableFiles.writeAtomically(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(state), false);
    }
}

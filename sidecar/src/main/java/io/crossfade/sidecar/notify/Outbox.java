package io.crossfade.sidecar.notify;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.state.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The notifications not yet delivered, and how far the audit trail has been read for them, in
 * {@code <state>/notifications.json}. Each save replaces the file atomically and durably
 * ({@link DurableFiles#writeAtomically}): after a crash the file is the last saved one, whole. An
 * event is in the trail before it is announced, and the cursor moves past it only in the same save
 * that adds its deliveries, so a crash between the two reads it again: nothing is lost, and an event
 * is announced twice only if the sidecar dies between a receiver's answer and the next save (the
 * {@code X-Crossfade-Delivery} id lets the receiver tell).
 *
 * @param cursor the sequence number of the last audit event taken in
 * @param pending deliveries still to make, oldest first
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
record Outbox(long cursor, List<Delivery> pending) {

    static final String FILE = "notifications.json";

    Outbox {
        pending = List.copyOf(pending);
    }

    /** The saved outbox of {@code stateDir}, or empty when none was saved. */
    static Optional<Outbox> load(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE);
        try {
            return Optional.of(Json.MAPPER.readValue(Files.readAllBytes(file), Outbox.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IOException(file + " cannot be read as the notification outbox: " + e.getMessage(), e);
        }
    }

    /** Saves this outbox in {@code stateDir}; durable when it returns. */
    void save(Path stateDir) throws IOException {
        DurableFiles.writeAtomically(stateDir.resolve(FILE), Json.MAPPER.writeValueAsBytes(this), true);
    }
}

package io.crossfade.sidecar.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.sidecar.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A copy of the last settings files that loaded cleanly, {@code <state>/last-known-good.json}, so
 * that a sidecar restarted while its settings directory is broken still serves. The copy holds the
 * files' text, not a derived form, so it is validated by the same parser on the way back in.
 */
public final class LastKnownGood {

    /** The saved files and when they were saved. */
    public record Saved(SortedMap<String, byte[]> files, Instant savedAt) {
    }

    private final Path file;
    private SortedMap<String, byte[]> lastWritten;

    public LastKnownGood(Path stateDir) {
        this.file = stateDir.resolve("last-known-good.json");
    }

    /** Saves {@code files} atomically, unless they equal what this instance saved last. Blocking. */
    public synchronized void save(SortedMap<String, byte[]> files) throws IOException {
        if (lastWritten != null && sameContent(lastWritten, files)) {
            return;
        }
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("savedAt", Instant.now().toString());
        ObjectNode filesNode = root.putObject("files");
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            filesNode.put(e.getKey(), new String(e.getValue(), StandardCharsets.UTF_8));
        }
        DurableFiles.writeAtomically(file, Json.MAPPER.writeValueAsBytes(root), false);
        lastWritten = new TreeMap<>(files);
    }

    /** The saved copy, if there is a readable one. Blocking. */
    public Optional<Saved> load() throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        JsonNode root = Json.MAPPER.readTree(file.toFile());
        SortedMap<String, byte[]> files = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("files").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            files.put(e.getKey(), e.getValue().asText().getBytes(StandardCharsets.UTF_8));
        }
        Instant savedAt = root.hasNonNull("savedAt") ? Instant.parse(root.get("savedAt").asText()) : null;
        return Optional.of(new Saved(files, savedAt));
    }

    private static boolean sameContent(SortedMap<String, byte[]> a, SortedMap<String, byte[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, byte[]> e : a.entrySet()) {
            if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}

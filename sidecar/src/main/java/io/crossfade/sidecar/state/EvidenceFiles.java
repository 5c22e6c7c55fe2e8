package io.crossfade.sidecar.state;

import io.crossfade.sidecar.guard.EvidenceStore;
import io.crossfade.sidecar.guard.StoredEvidence;
import io.crossfade.sidecar.json.Json;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guard's evidence in the state directory: one file per migration,
 * {@code <state>/guard/evidence-<migration id>.json}, each written with {@link DurableFiles}
 * (fsync, atomic rename, directory fsync), so a file is always a whole save, the last or the one
 * before it.
 */
public final class EvidenceFiles implements EvidenceStore {

    private static final Logger LOG = LoggerFactory.getLogger(EvidenceFiles.class);
    private static final Pattern NAME = Pattern.compile("evidence-([0-9a-f]{16})\\.json");

    private final Path dir;

    /** @param stateDir the state directory; its {@code guard} folder is created on the first save */
    public EvidenceFiles(Path stateDir) {
        this.dir = Objects.requireNonNull(stateDir, "stateDir").resolve("guard");
    }

    @Override
    public Map<String, StoredEvidence> loadAll() throws IOException {
        Map<String, StoredEvidence> out = new HashMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "evidence-*.json")) {
            for (Path file : files) {
                var m = NAME.matcher(file.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                try {
                    StoredEvidence e = Json.MAPPER.readValue(Files.readAllBytes(file), StoredEvidence.class);
                    if (m.group(1).equals(e.migrationId())) {
                        out.put(e.migrationId(), e);
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.warn("the guard's stored evidence in {} cannot be read ({}); that migration's test starts"
                            + " afresh", file, e.getMessage());
                }
            }
        }
        return out;
    }

    @Override
    public void save(StoredEvidence evidence) throws IOException {
        DurableFiles.ensureDirectory(dir);
        DurableFiles.writeAtomically(dir.resolve("evidence-" + evidence.migrationId() + ".json"),
                Json.MAPPER.writeValueAsBytes(evidence), false);
    }

    @Override
    public void retain(Set<String> migrationIds) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "evidence-*.json")) {
            for (Path file : files) {
                var m = NAME.matcher(file.getFileName().toString());
                if (m.matches() && !migrationIds.contains(m.group(1))) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }
}

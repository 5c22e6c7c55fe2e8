package io.crossfade.sidecar.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The settings location a state directory belongs to, {@code <state>/settings-location}. A state
 * directory holds one location's migration states and its last-known-good copy; a sidecar started on
 * other settings with the same {@code --state} (the default {@code ./.crossfade-state} makes that
 * easy) would otherwise serve the first location's copy as if it were the one asked for. So the first
 * start records its location, and every later start with another one is refused before anything is
 * loaded.
 *
 * <p>Locations are compared as absolute, normalised paths without resolving symbolic links: a
 * directory reached through a link that is swapped (a Kubernetes ConfigMap, a release directory) is
 * still the same location. A state directory written before this file existed is claimed by the
 * first location that starts on it.
 */
public final class SettingsLocation {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SettingsLocation.class);

    /** The file, in the state directory, that names the settings location. */
    public static final String FILE = "settings-location";

    private SettingsLocation() {
    }

    /**
     * Records {@code settingsDir} as the location {@code stateDir} belongs to, or checks that it is
     * the one recorded. Blocking (a small file read, and an atomic write on first use). A state
     * directory that cannot be written is checked but not claimed (it serves degraded anyway).
     *
     * @throws IOException when {@code stateDir} belongs to another location; the message names both
     *     and the fix
     */
    public static void claim(Path stateDir, Path settingsDir) throws IOException {
        String wanted = settingsDir.toAbsolutePath().normalize().toString();
        Path file = stateDir.resolve(FILE);
        if (Files.isRegularFile(file)) {
            String recorded = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (recorded.equals(wanted)) {
                return;
            }
            if (!recorded.isEmpty()) { // empty: a write cut short; claimed again below
                throw new IOException("the state directory " + stateDir + " belongs to the settings in " + recorded
                        + ", not to " + wanted + "; give this sidecar a state directory of its own (--state DIR),"
                        + " or start it with --settings " + recorded);
            }
        }
        try {
            DurableFiles.writeAtomically(file, (wanted + "\n").getBytes(StandardCharsets.UTF_8), false);
        } catch (IOException e) {
            LOG.warn("could not record in {} that it belongs to the settings in {}: {}", stateDir, wanted,
                    DurableFiles.cause(e));
        }
    }
}

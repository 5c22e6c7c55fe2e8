package io.crossfade.sidecar.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A JDK 25 for the tests of what only runs on 25 (the image's JRE and its AOT cache), while the
 * build and the other tests run on 17: system property {@code crossfade.jdk25} (its home), else
 * environment variable {@code JDK25_HOME}, else Temurin 25's Debian path.
 */
public final class Jdk25 {

    private static final Path DEFAULT = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");

    private Jdk25() {
    }

    /** The JDK 25's home, when one is installed there. */
    public static Optional<Path> home() {
        String configured = System.getProperty("crossfade.jdk25", System.getenv("JDK25_HOME"));
        Path home = configured != null && !configured.isBlank() ? Path.of(configured) : DEFAULT;
        return Files.isExecutable(home.resolve("bin/java")) ? Optional.of(home) : Optional.empty();
    }

    /** Its {@code bin/java}; fails, naming where it looked, when there is none. */
    public static Path java() {
        return home().orElseThrow(() -> new IllegalStateException("no JDK 25 at " + DEFAULT
                + " (set -Dcrossfade.jdk25=HOME or JDK25_HOME)")).resolve("bin/java");
    }
}

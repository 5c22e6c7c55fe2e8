package io.crossfade.bench.jmh;

import io.crossfade.config.ActiveMigration;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.MigrationState;
import io.crossfade.config.MigrationStatus;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsException;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.config.SettingsSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The settings every benchmark uses, generated rather than checked in: {@code settings} keys
 * {@code bench.s00000}, {@code bench.s00001}, … with integer values, the first {@code migrations}
 * of them with a running migration at 50 % (value n to n + 1000). The same generator writes the
 * settings directory the HTTP benchmarks serve ({@link #main}), so micro and macro benchmarks read
 * the same shape of data.
 */
public final class SettingsFixture {

    /** The key the HTTP benchmarks read: the first setting, which has a running migration. */
    public static final String MIGRATED_KEY = key(0);

    private SettingsFixture() {
    }

    /** {@code bench.sNNNNN}. */
    public static String key(int n) {
        return String.format("bench.s%05d", n);
    }

    /** The settings file's YAML. */
    public static String yaml(int settings, int migrations) {
        if (migrations > settings) {
            throw new IllegalArgumentException("more migrations than settings");
        }
        StringBuilder out = new StringBuilder(settings * 40);
        out.append("settings:\n");
        for (int i = 0; i < settings; i++) {
            out.append("  ").append(key(i)).append(": { value: ").append(i).append(", owner: team-bench }\n");
        }
        out.append("migrations:\n");
        for (int i = 0; i < migrations; i++) {
            out.append("  ").append(key(i)).append(": { to: ").append(i + 1000)
                    .append(", percent: 50, owner: bench, expected: nothing changes, rollback: set percent to 0 }\n");
        }
        return out.toString();
    }

    /** The validated spec of {@link #yaml}. */
    public static SettingsSpec spec(int settings, int migrations) throws SettingsException {
        return new SettingsDirectory().parse(Map.of("bench.yaml", yaml(settings, migrations).getBytes(StandardCharsets.UTF_8)));
    }

    /** A snapshot of {@link #spec} with every migration running at its initial percent. */
    public static SettingsSnapshot snapshot(int settings, int migrations) throws SettingsException {
        SettingsSpec spec = spec(settings, migrations);
        Map<String, ActiveMigration> active = new HashMap<>();
        for (MigrationSpec m : spec.migrations().values()) {
            active.put(m.key(), new ActiveMigration(m, new MigrationStatus(m.initialPercent(), MigrationState.RUNNING)));
        }
        return new SettingsSnapshot(1, spec, active);
    }

    /** Writes {@code DIR/bench.yaml}: {@code SettingsFixture DIR [SETTINGS [MIGRATIONS]]}. */
    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: SettingsFixture DIR [SETTINGS=10000 [MIGRATIONS=100]]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int settings = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int migrations = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("bench.yaml"), yaml(settings, migrations), StandardCharsets.UTF_8);
    }
}
